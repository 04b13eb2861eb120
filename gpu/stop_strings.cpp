#include "gpu/stop_strings.hpp"

#include <algorithm>

namespace binserve {

stop_string_matcher::stop_string_matcher(std::vector<std::string> stops) : stops_(std::move(stops)) {
  for (const std::string& s : stops_) longest_ = std::max(longest_, s.size());
}

bool stop_string_matcher::append(std::string_view piece) {
  if (stops_.empty() || piece.empty()) return false;
  // Only matches that end inside `piece` are new: search from where such a
  // match of the longest stop string could begin.
  const std::size_t before = tail_.size();
  tail_.append(piece);
  bool found = false;
  for (const std::string& s : stops_) {
    const std::size_t from = before + 1 >= s.size() ? before + 1 - s.size() : 0;
    if (tail_.find(s, from) != std::string::npos) found = true;
  }
  if (tail_.size() >= longest_) tail_.erase(0, tail_.size() - (longest_ - 1));
  return found;
}

std::size_t stop_string_cut(std::string_view text, const std::vector<std::string>& stops) {
  std::size_t cut = text.size();
  for (const std::string& s : stops)
    if (!s.empty()) cut = std::min(cut, text.find(s));
  return cut;
}

std::size_t stop_string_pending(std::string_view text, const std::vector<std::string>& stops) {
  std::size_t held = 0;
  for (const std::string& s : stops)
    for (std::size_t n = std::min(text.size(), s.empty() ? 0 : s.size() - 1); n > held; --n)
      if (text.substr(text.size() - n) == std::string_view(s).substr(0, n)) {
        held = n;
        break;
      }
  return held;
}

}  // namespace binserve
