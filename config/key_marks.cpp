#include "config/key_marks.hpp"

namespace binserve {

namespace {

// "model" for "model.tokenizer", "workers[0]" for "workers[0].host",
// "workers" for "workers[0]", "" for "model".
std::string_view parent_of(std::string_view key_path) {
  const std::size_t cut = key_path.find_last_of(".[");
  return cut == std::string_view::npos ? std::string_view() : key_path.substr(0, cut);
}

}  // namespace

void key_marks::add(std::string key_path, int line, int column) { at_.try_emplace(std::move(key_path), line, column); }

std::string key_marks::where(std::string_view key_path) const {
  for (std::string_view k = key_path; !k.empty(); k = parent_of(k))
    if (const auto it = at_.find(k); it != at_.end())
      return file_ + ":" + std::to_string(it->second.first) + ":" + std::to_string(it->second.second);
  return file_ + ":1:1";
}

status key_marks::error(const std::string& key_path, const std::string& what) const {
  return config_error_at(where(key_path), key_path, what);
}

status config_error_at(const std::string& where, const std::string& key_path, const std::string& what) {
  const std::string key = key_path.empty() ? "" : key_path + ": ";
  return status(error_code::config_invalid, where + ": " + key + what);
}

}  // namespace binserve
