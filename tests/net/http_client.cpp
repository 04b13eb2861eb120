#include "tests/net/http_client.hpp"

#include <gtest/gtest.h>

namespace binserve::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

tcp::socket connect_to(asio::io_context& io, int port, const std::string& source) {
  tcp::socket s(io);
  if (!source.empty()) {
    s.open(tcp::v4());
    s.bind({asio::ip::make_address(source), 0});
  }
  s.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  return s;
}

void send_request(tcp::socket& s, http::verb method, const std::string& target, const std::string& body,
                  const std::string& token) {
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  http::write(s, req);
}

http_reply receive_reply(tcp::socket& s, beast::flat_buffer& buf, int timeout_s) {
  http::response<http::string_body> res;
  beast::error_code err = asio::error::timed_out;
  bool done = false;
  auto& io = static_cast<asio::io_context&>(s.get_executor().context());
  http::async_read(s, buf, res, [&](beast::error_code ec, std::size_t) { err = ec, done = true; });
  io.restart();
  io.run_for(std::chrono::seconds(timeout_s));
  if (!done) {
    s.cancel();
    io.restart();
    io.run();
  }
  if (err) return {};
  return {static_cast<int>(res.result_int()), res.body(), res.base()};
}

http_reply fetch(int port, http::verb method, const std::string& target, const std::string& body,
                 const std::string& token, int timeout_s) {
  asio::io_context io;
  auto s = connect_to(io, port);
  send_request(s, method, target, body, token);
  beast::flat_buffer buf;
  return receive_reply(s, buf, timeout_s);
}

http_reply post(int port, const std::string& target, const json& body, int timeout_s) {
  return fetch(port, http::verb::post, target, body.dump(), "", timeout_s);
}

std::vector<json> sse_events(const std::string& body) {
  std::vector<json> out;
  std::size_t at = 0;
  while (at < body.size()) {
    const std::size_t end = body.find("\n\n", at);
    EXPECT_NE(end, std::string::npos) << "unterminated event";
    if (end == std::string::npos) break;
    const std::string event = body.substr(at, end - at);
    EXPECT_EQ(event.rfind("data: ", 0), 0u) << event;
    const std::string data = event.substr(6);
    out.push_back(data == "[DONE]" ? json("[DONE]") : json::parse(data));
    at = end + 2;
  }
  return out;
}

}  // namespace binserve::testing
