#include "chat/jinja_text.hpp"

#include <cstdio>

namespace binserve::jinja {

namespace {

std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

}  // namespace

std::string code_point_text(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

namespace {

// Lower-case letter -> its upper case, for the scripts chats are mostly in.
char32_t upper_of(char32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if ((c >= 0xE0 && c <= 0xFE && c != 0xF7) || (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) || (c >= 0x430 && c <= 0x44F))
    return c - 0x20;
  if (c == 0xFF) return 0x178;
  if (c >= 0x450 && c <= 0x45F) return c - 0x50;
  return c;
}

char32_t lower_of(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if ((c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) || (c >= 0x410 && c <= 0x42F))
    return c + 0x20;
  if (c == 0x178) return 0xFF;
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  return c;
}

template <class Map>
std::string map_letters(std::string_view s, Map f) {
  std::string out;
  for (std::string_view cp : code_points(s)) {
    const char32_t c = decode(cp);
    const char32_t m = f(c);
    out += m == c ? std::string(cp) : code_point_text(m);
  }
  return out;
}

bool is_word(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

}  // namespace

std::vector<std::string_view> code_points(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = sequence_length(static_cast<unsigned char>(s[i]));
    if (i + n > s.size()) n = 1;
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

char32_t decode(std::string_view cp) {
  const auto b = [&](std::size_t i) { return static_cast<char32_t>(static_cast<unsigned char>(cp[i])); };
  switch (cp.size()) {
    case 2:
      return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3:
      return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    case 4:
      return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
    default:
      return b(0);
  }
}

bool is_space(char32_t c) {
  if (c <= 32) return c == 32 || (c >= 9 && c <= 13);
  return c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

std::string trim(std::string_view s, bool left, bool right) {
  const auto cps = code_points(s);
  std::size_t first = 0, last = cps.size();
  while (left && first < last && is_space(decode(cps[first]))) ++first;
  while (right && last > first && is_space(decode(cps[last - 1]))) --last;
  if (first == last) return "";
  const char* begin = cps[first].data();
  const char* end = cps[last - 1].data() + cps[last - 1].size();
  return std::string(begin, end);
}

std::size_t utf16_length(std::string_view s) {
  std::size_t n = 0;
  for (std::string_view cp : code_points(s)) n += cp.size() == 4 ? 2 : 1;
  return n;
}

bool collates_before(std::string_view a, std::string_view b) {
  static constexpr std::string_view kOrder = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz";
  const auto primary = [](std::string_view s) {
    std::vector<std::size_t> key;
    for (std::string_view cp : code_points(s)) {
      const char32_t c = decode(cp);
      const char32_t folded = c >= 'A' && c <= 'Z' ? c + 32 : c;
      const std::size_t at = folded < 128 ? kOrder.find(static_cast<char>(folded)) : std::string_view::npos;
      key.push_back(at != std::string_view::npos ? at : kOrder.size() + folded);
    }
    return key;
  };
  const auto pa = primary(a), pb = primary(b);
  if (pa != pb) return pa < pb;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)  // same letters: lower case first
    if (a[i] != b[i]) return a[i] > b[i];
  return a.size() < b.size();
}

std::string to_upper(std::string_view s) {
  return replace_all(map_letters(s, upper_of), "\xC3\x9F", "SS", -1);  // ß has no one-letter upper case
}
std::string to_lower(std::string_view s) { return map_letters(s, lower_of); }

std::string title_case(std::string_view s) {
  std::string out(s);
  for (std::size_t i = 0; i < out.size(); ++i)
    if (is_word(out[i]) && (i == 0 || !is_word(out[i - 1])) && out[i] >= 'a' && out[i] <= 'z')
      out[i] = static_cast<char>(out[i] - 32);
  return out;
}

std::string capitalize(std::string_view s) {
  const auto cps = code_points(s);
  if (cps.empty()) return "";
  return to_upper(cps[0]) + std::string(s.substr(cps[0].size()));
}

std::string json_quote(std::string_view s, bool ensure_ascii) {
  std::string out = "\"";
  char buf[16];
  for (std::string_view cp : code_points(s)) {
    const char32_t c = decode(cp);
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      default:
        break;
    }
    if (c < 0x20 || (ensure_ascii && c >= 0x7F && c < 0x10000)) {
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else if (ensure_ascii && c >= 0x10000) {
      const char32_t v = c - 0x10000;
      std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", static_cast<unsigned>(0xD800 + (v >> 10)),
                    static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
      out += buf;
    } else {
      out += cp;
    }
  }
  return out + "\"";
}

std::string replace_all(std::string_view s, std::string_view from, std::string_view to, long long count) {
  if (count == 0) return std::string(s);
  std::string out;
  if (from.empty()) {  // between every code point, as Python and the reference do
    const auto cps = code_points(s);
    for (std::size_t i = 0; i <= cps.size(); ++i) {
      if (count < 0 || static_cast<long long>(i) < count) out += to;
      if (i < cps.size()) out += cps[i];
    }
    return out;
  }
  std::size_t pos = 0;
  for (long long done = 0; count < 0 || done < count; ++done) {
    const std::size_t hit = s.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos)).append(to);
    pos = hit + from.size();
  }
  return out.append(s.substr(pos));
}

}  // namespace binserve::jinja
