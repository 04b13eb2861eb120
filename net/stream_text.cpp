#include "net/stream_text.hpp"

#include <algorithm>

#include "gpu/stop_strings.hpp"
#include "net/openai.hpp"

namespace binserve::net {

std::string stream_text::push(std::string_view piece) {
  held_.append(piece);
  // A stop string the text now contains ends it there (the final text is cut
  // before it); one it may be beginning waits for the next token.
  std::size_t n = std::min(stop_string_cut(held_, stops_), held_.size() - stop_string_pending(held_, stops_));
  n = openai::complete_utf8_prefix(std::string_view(held_).substr(0, n));
  std::string out = held_.substr(0, n);
  held_.erase(0, n);
  sent_ += n;
  return out;
}

std::string stream_text::finish(std::string_view final_text) {
  held_.clear();
  if (final_text.size() <= sent_) return {};
  std::string out(final_text.substr(sent_));
  sent_ = final_text.size();
  return out;
}

}  // namespace binserve::net
