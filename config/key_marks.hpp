// binserve: where each key of a deployment file was written.
//
// The YAML reader records, for every key it meets, the line and column of
// its value ("policy.batch_size" -> 3:15, "model.stop_tokens[1]" -> 4:22),
// so that checks which run after parsing (config/deployment_check.hpp: does
// the host resolve, does the model load) can point at the line that caused
// them, in the same "FILE:LINE:COL: KEY.PATH: what" form as the parser's own
// errors. A plain value: built while parsing, read-only after; copyable.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "binserve/status.hpp"

namespace binserve {

class key_marks {
 public:
  key_marks() = default;
  // `file` is the name messages carry.
  explicit key_marks(std::string file) : file_(std::move(file)) {}

  // Records that the value of `key_path` starts at `line`:`column` (1-based).
  // A path recorded already keeps its first mark.
  void add(std::string key_path, int line, int column);

  // Whether `key_path` itself was written in the file.
  bool has(std::string_view key_path) const { return at_.find(key_path) != at_.end(); }

  // "FILE:LINE:COL" of `key_path`; for a key the file did not write, the
  // mark of its nearest written parent ("model" for "model.tokenizer",
  // "workers[0]" for "workers[0].host"), else FILE:1:1.
  std::string where(std::string_view key_path) const;

  // A config_invalid status "FILE:LINE:COL: KEY_PATH: what" at `key_path`.
  status error(const std::string& key_path, const std::string& what) const;

  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::map<std::string, std::pair<int, int>, std::less<>> at_;  // key path -> (line, column)
};

// The one form of every deployment error: config_invalid with the message
// "WHERE: KEY_PATH: what" ("WHERE: what" when `key_path` is empty).
status config_error_at(const std::string& where, const std::string& key_path, const std::string& what);

}  // namespace binserve
