// Fuzzes HTTP request handling without sockets: the bytes go through the
// Beast request parser the server uses (same body limit), then the parsed
// body through both OpenAI request parsers (net/openai.hpp) and the error
// encoding the server would answer with.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "net/openai.hpp"

namespace http = boost::beast::http;
using namespace binserve;

namespace {

void answer(std::string_view body) {
  for (const bool chat : {false, true}) {
    auto parsed = chat ? openai::parse_chat_completion(body) : openai::parse_completion(body);
    if (!parsed.call) (void)openai::error_json(parsed.error);
  }
  (void)openai::complete_utf8_prefix(body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  http::request_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = 0;
  while (used < size && !parser.is_done() && !ec) used += parser.put(boost::asio::buffer(data + used, size - used), ec);
  if (ec == http::error::need_more && used < size) return 0;  // parser wants more than the buffer holds
  if (!ec && parser.is_done()) {
    const auto& req = parser.get();
    (void)req.keep_alive();
    (void)req[http::field::authorization];
    answer(req.body());
  }
  return 0;
}
