// binserve: typed, validated reads from a parsed YAML document.
//
// Internal to the config loader. Every failure becomes one config_invalid
// status whose message reads "FILE:LINE:COL: KEY.PATH: what is wrong"
// (1-based line and column). Only the first failure of a document is kept;
// every read after it is a no-op. Nothing here throws. Every key met is
// recorded with the mark of its value (key_marks), for checks that run later.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "binserve/names.hpp"
#include "binserve/status.hpp"
#include "config/key_marks.hpp"

namespace binserve {

// The first error met while walking one YAML document, and where each key was.
class yaml_document {
 public:
  explicit yaml_document(std::string file) : marks_(std::move(file)) {}

  // Records "FILE:LINE:COL: KEY_PATH: WHAT" as a config_invalid status,
  // unless an error is recorded already. A null mark reads as 1:1.
  void fail(const YAML::Mark& mark, const std::string& key_path, const std::string& what);

  bool failed() const { return !error_.ok(); }
  // The recorded error; ok when there is none.
  const status& error() const { return error_; }
  // Records "WHERE: KEY_PATH: WHAT", WHERE being where the file wrote
  // `key_path` (key_marks::where), unless an error is recorded already.
  void fail_at(const std::string& key_path, const std::string& what);
  // "FILE:LINE:COL" of `mark` (1-based; 1:1 for a null mark).
  std::string where(const YAML::Mark& mark) const;

  // Records that `key_path`'s value is at `mark` (a null mark is not recorded).
  void note(std::string key_path, const YAML::Mark& mark);
  // Where each key met so far was.
  const key_marks& marks() const { return marks_; }

 private:
  status error_;
  key_marks marks_;  // also the file name messages carry
};

// One map of the document (the root, `policy`, ...). An absent or null
// section reads as empty: every key keeps its default.
class yaml_section {
 public:
  // `path` is the section's key path ("" for the root); `mark` is where to
  // point errors about the section when it is absent.
  yaml_section(yaml_document& doc, YAML::Node node, std::string path, YAML::Mark mark);

  // Fails when the section is not a map, or holds a key outside `known`
  // (with "did you mean 'X'?" when a known key is within edit distance 2).
  void expect_keys(std::initializer_list<std::string_view> known);
  // Whether `key` is present with a value.
  bool has(const char* key) const;
  // The sub-map at `key`.
  yaml_section section(const char* key) const;
  // The items of the list at `key` (none when absent), as sections named
  // "KEY[i]"; fails when it is not a list. Each item's expect_keys checks it is a map.
  std::vector<yaml_section> list(const char* key);

  // Each read leaves `out` alone when `key` is absent and fails on a value
  // of the wrong type or one the type cannot hold (the values' rules are
  // config/config_rules.hpp's).
  void read(const char* key, int& out);
  void read(const char* key, std::int64_t& out);
  void read(const char* key, double& out);
  void read(const char* key, bool& out);
  void read(const char* key, std::string& out);
  // A string that must be one of `choices`.
  void read_choice(const char* key, std::string& out, const std::vector<std::string>& choices);
  // An enum, by its name (binserve/names.hpp).
  template <class E>
  void read_choice(const char* key, E& out) {
    std::string name = name_of(out);
    read_choice(key, name, names_of<E>());
    if (const std::optional<E> v = from_name<E>(name)) out = *v;
  }
  // A list of integers.
  void read(const char* key, std::vector<int>& out);

  // Fails with `what` at `key` (or at the section when it is absent)
  // unless `ok`.
  void require(bool ok, const char* key, const std::string& what);
  // The full key path of `key` ("policy.batch_size").
  std::string path_of(const char* key) const;

 private:
  // The value at `key`, or an undefined node when absent or not a map.
  YAML::Node value(const char* key) const;
  YAML::Mark mark_of(const char* key) const;
  bool read_integer(const char* key, std::int64_t& out, std::int64_t lo, std::int64_t hi);  // lo, hi: the type's
  bool usable(const char* key) const;

  yaml_document* doc_;
  YAML::Node node_;
  std::string path_;
  YAML::Mark mark_;
};

// The Levenshtein distance between `a` and `b`.
std::size_t edit_distance(std::string_view a, std::string_view b);

// "a scalar", "a map", "a list", "null", "nothing": what `node` is, for messages.
std::string describe(const YAML::Node& node);

}  // namespace binserve
