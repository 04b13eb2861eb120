// Stop strings (OpenAI's `stop`): generation ends at the first token whose
// text completes one, and the text ends before it. The text is bytes: a stop
// string may end inside a token, or begin inside one.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace binserve {

// Watches a sequence's text as its tokens arrive. One per sequence.
class stop_string_matcher {
 public:
  // `stops`: the request's stop strings, none empty.
  explicit stop_string_matcher(std::vector<std::string> stops);

  // Appends the text of the next token; true when the text now contains a
  // stop string (one that ends inside `piece`: earlier ones were reported).
  bool append(std::string_view piece);

 private:
  std::vector<std::string> stops_;
  std::size_t longest_ = 0;
  std::string tail_;  // the last longest_ - 1 bytes before the newest piece, and it
};

// The length of `text` before its earliest stop string; text.size() when it
// contains none.
std::size_t stop_string_cut(std::string_view text, const std::vector<std::string>& stops);

// The length of the longest suffix of `text` that is a proper prefix of a
// stop string: bytes a stream must hold back, since the next token may
// complete that stop string (and then they are not part of the text).
std::size_t stop_string_pending(std::string_view text, const std::vector<std::string>& stops);

}  // namespace binserve
