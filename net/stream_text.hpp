// The text one streamed choice has sent so far. Each token's bytes go in;
// what may be sent now comes out: bytes that end inside a UTF-8 character,
// or that may begin one of the request's stop strings, are held back until
// the next token decides them. At the end the final text (cut before its
// stop string, net/openai.hpp) gives the rest, so the concatenation of
// everything sent is exactly the final text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace binserve::net {

class stream_text {
 public:
  explicit stream_text(std::vector<std::string> stops = {}) : stops_(std::move(stops)) {}

  // Takes the next token's bytes; returns the bytes that can be sent now.
  std::string push(std::string_view piece);

  // Takes the request's final text; returns what of it was not sent yet.
  std::string finish(std::string_view final_text);

  // Bytes sent so far.
  std::size_t sent() const { return sent_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;  // received, not sent
  std::size_t sent_ = 0;
};

}  // namespace binserve::net
