#include "config/yaml_reader.hpp"

#include <algorithm>
#include <numeric>

namespace binserve {
namespace {

constexpr std::int64_t kIntMin = std::numeric_limits<int>::min(), kIntMax = std::numeric_limits<int>::max();

// Why an integer read does not fit its type; the value's rules are config/config_rules.hpp's.
std::string fit_text(long long v) { return "does not fit a 32-bit integer (got " + std::to_string(v) + ")"; }

template <class Words>
std::string join(const Words& words) {
  std::string out;
  for (std::string_view w : words) out += (out.empty() ? "" : ", ") + std::string(w);
  return out;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      return "a scalar ('" + node.Scalar() + "')";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

void yaml_document::fail(const YAML::Mark& mark, const std::string& key_path, const std::string& what) {
  if (!failed()) error_ = config_error_at(where(mark), key_path, what);
}

void yaml_document::fail_at(const std::string& key_path, const std::string& what) {
  if (!failed()) error_ = marks_.error(key_path, what);
}

std::string yaml_document::where(const YAML::Mark& mark) const {
  if (mark.is_null()) return marks_.file() + ":1:1";
  return marks_.file() + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

void yaml_document::note(std::string key_path, const YAML::Mark& mark) {
  if (!mark.is_null()) marks_.add(std::move(key_path), mark.line + 1, mark.column + 1);
}

yaml_section::yaml_section(yaml_document& doc, YAML::Node node, std::string path, YAML::Mark mark)
    : doc_(&doc), node_(node), path_(std::move(path)), mark_(mark) {
  if (node_.IsDefined() && !node_.Mark().is_null()) mark_ = node_.Mark();
}

void yaml_section::expect_keys(std::initializer_list<std::string_view> known) {
  if (doc_->failed() || !node_.IsDefined() || node_.IsNull()) return;
  if (!node_.IsMap()) {
    doc_->fail(mark_, path_, "expected a map, got " + describe(node_));
    return;
  }
  for (const auto& entry : node_) {
    const std::string key = entry.first.Scalar();
    doc_->note(path_of(key.c_str()), entry.second.Mark().is_null() ? entry.first.Mark() : entry.second.Mark());
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    const auto best = std::min_element(known.begin(), known.end(),
                                       [&](auto x, auto y) { return edit_distance(key, x) < edit_distance(key, y); });
    const std::string hint = best != known.end() && edit_distance(key, *best) <= 2
                                 ? "did you mean '" + std::string(*best) + "'?"
                                 : "known keys: " + join(known);
    doc_->fail(entry.first.Mark(), path_of(key.c_str()), "unknown key; " + hint);
    return;
  }
}

bool yaml_section::has(const char* key) const {
  const YAML::Node v = value(key);
  return v.IsDefined() && !v.IsNull();
}

yaml_section yaml_section::section(const char* key) const {
  return yaml_section(*doc_, value(key), path_of(key), mark_);
}

std::vector<yaml_section> yaml_section::list(const char* key) {
  std::vector<yaml_section> items;
  if (!usable(key)) return items;
  const YAML::Node seq = value(key);
  if (!seq.IsSequence()) {
    doc_->fail(mark_of(key), path_of(key), "expected a list, got " + describe(seq));
    return items;
  }
  for (std::size_t i = 0; i < seq.size(); ++i) {
    const std::string item_path = path_of(key) + "[" + std::to_string(i) + "]";
    doc_->note(item_path, seq[i].Mark());
    items.emplace_back(*doc_, seq[i], item_path, mark_of(key));
  }
  return items;
}

void yaml_section::read(const char* key, int& out) {
  std::int64_t v = out;
  if (read_integer(key, v, kIntMin, kIntMax)) out = static_cast<int>(v);
}

void yaml_section::read(const char* key, std::int64_t& out) {
  read_integer(key, out, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
}

void yaml_section::read(const char* key, double& out) {
  if (!usable(key)) return;
  if (!YAML::convert<double>::decode(value(key), out))
    doc_->fail(mark_of(key), path_of(key), "expected a number, got " + describe(value(key)));
}

void yaml_section::read(const char* key, bool& out) {
  if (!usable(key)) return;
  if (!YAML::convert<bool>::decode(value(key), out))
    doc_->fail(mark_of(key), path_of(key), "expected true or false, got " + describe(value(key)));
}

void yaml_section::read(const char* key, std::string& out) {
  if (!usable(key)) return;
  if (!value(key).IsScalar()) {
    doc_->fail(mark_of(key), path_of(key), "expected a string, got " + describe(value(key)));
    return;
  }
  out = value(key).Scalar();
}

void yaml_section::read_choice(const char* key, std::string& out, const std::vector<std::string>& choices) {
  std::string v = out;
  read(key, v);
  if (doc_->failed()) return;
  require(std::find(choices.begin(), choices.end(), v) != choices.end(), key,
          "must be one of: " + join(choices) + " (got '" + v + "')");
  if (!doc_->failed()) out = v;
}

void yaml_section::read(const char* key, std::vector<int>& out) {
  if (!usable(key)) return;
  const YAML::Node list = value(key);
  if (!list.IsSequence()) {
    doc_->fail(mark_of(key), path_of(key), "expected a list of integers, got " + describe(list));
    return;
  }
  std::vector<int> items;
  for (std::size_t i = 0; i < list.size(); ++i) {
    long long v = 0;
    const std::string item_path = path_of(key) + "[" + std::to_string(i) + "]";
    doc_->note(item_path, list[i].Mark());
    if (!YAML::convert<long long>::decode(list[i], v))
      return doc_->fail(list[i].Mark(), item_path, "expected an integer, got " + describe(list[i]));
    if (v < kIntMin || v > kIntMax) return doc_->fail(list[i].Mark(), item_path, fit_text(v));
    items.push_back(static_cast<int>(v));
  }
  out = std::move(items);
}

void yaml_section::require(bool ok, const char* key, const std::string& what) {
  if (!ok) doc_->fail(mark_of(key), path_of(key), what);
}

std::string yaml_section::path_of(const char* key) const {
  return path_.empty() ? std::string(key) : path_ + "." + key;
}

YAML::Node yaml_section::value(const char* key) const {
  if (!node_.IsDefined() || !node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node& map = node_;
  return map[key];
}

YAML::Mark yaml_section::mark_of(const char* key) const {
  const YAML::Node v = value(key);
  return v.IsDefined() && !v.Mark().is_null() ? v.Mark() : mark_;
}

bool yaml_section::read_integer(const char* key, std::int64_t& out, std::int64_t lo, std::int64_t hi) {
  if (!usable(key)) return false;
  long long v = 0;
  if (!YAML::convert<long long>::decode(value(key), v)) {
    doc_->fail(mark_of(key), path_of(key), "expected an integer, got " + describe(value(key)));
    return false;
  }
  if (v < lo || v > hi) {
    doc_->fail(mark_of(key), path_of(key), fit_text(v));
    return false;
  }
  out = v;
  return true;
}

// Whether `key` is present and no error came before; a present key with a
// null value is an error.
bool yaml_section::usable(const char* key) const {
  if (doc_->failed() || !value(key).IsDefined()) return false;
  if (value(key).IsNull()) doc_->fail(mark_of(key), path_of(key), "has no value");
  return !doc_->failed();
}

}  // namespace binserve
