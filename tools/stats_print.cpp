#include "tools/stats_print.hpp"

#include <algorithm>
#include <iomanip>
#include <sstream>
#include <type_traits>

#include "actors/stats_schema.hpp"
#include "net/protocol.hpp"

namespace binserve::tools {

namespace {

constexpr int kKeyWidth = 22;

// A value as one cell: "-" for an empty text, at most 4 significant digits
// for a real number.
template <class T>
std::string cell(const T& v) {
  std::ostringstream out;
  if constexpr (std::is_same_v<T, std::string>)
    out << (v.empty() ? "-" : v);
  else if constexpr (std::is_same_v<T, bool>)
    out << (v ? "true" : "false");
  else
    out << std::setprecision(4) << v;
  return out.str();
}

// "KEY1 V1  KEY2 V2 ..." over the fields of `x`.
template <described T>
std::string inline_fields(const T& x) {
  std::string line;
  for_each_field<T>(
      [&](const auto& f) { line += (line.empty() ? "" : "  ") + std::string(f.key) + " " + cell(x.*f.member); });
  return line;
}

// A header of T's keys, then a row per item, columns padded to fit.
template <described T>
void table(std::ostream& out, const std::vector<T>& items) {
  std::vector<std::vector<std::string>> rows(1);
  for_each_field<T>([&](const auto& f) { rows[0].push_back(f.key); });
  for (const T& item : items) {
    rows.emplace_back();
    for_each_field<T>([&](const auto& f) { rows.back().push_back(cell(item.*f.member)); });
  }
  std::vector<std::size_t> width(rows[0].size());
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  for (const auto& r : rows) {
    out << " ";
    for (std::size_t c = 0; c < r.size(); ++c) out << " " << std::left << std::setw(int(width[c])) << r[c];
    out << "\n";
  }
}

}  // namespace

void print_stats(std::ostream& out, const stats& s, bool json) {
  if (json) {
    out << net::encode_stats(s) << "\n";
    return;
  }
  const std::ios_base::fmtflags flags = out.flags();
  for_each_field<stats>([&](const auto& f) {
    using T = typename std::decay_t<decltype(f)>::value_type;
    if constexpr (described<T>) {
      out << std::left << std::setw(kKeyWidth) << f.key << inline_fields(s.*f.member) << "\n";
    } else if constexpr (std::is_arithmetic_v<T>) {
      out << std::left << std::setw(kKeyWidth) << f.key << cell(s.*f.member) << "\n";
    } else {
      out << f.key << ":\n";
      table(out, s.*f.member);
    }
  });
  out.flags(flags);
}

}  // namespace binserve::tools
