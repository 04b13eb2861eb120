// The HTTP layer of the OpenAI front end on a real service (issue 14):
// GET /v1/models/{id}, HEAD /health, Retry-After on 429 and 503,
// WWW-Authenticate and a case-insensitive Bearer scheme, x-request-id, and
// RFC 9112 request framing checked with raw bytes (item 10: the smuggled
// request).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "tests/net/stories_http.hpp"

namespace binserve {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;
using testing::http_reply;
using testing::kCompletions;
using headers = std::vector<std::pair<std::string, std::string>>;

class HttpWire : public testing::stories_http_test {};

const std::string kBody = R"({"prompt": "Once", "max_tokens": 2})";

// One request with extra header fields, on a fresh connection.
http_reply ask_with(int port, http::verb method, const std::string& target, const headers& fields,
                    const std::string& body = "") {
  asio::io_context io;
  auto s = testing::connect_to(io, port);
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : fields) req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  http::write(s, req);
  beast::flat_buffer buf;
  return testing::receive_reply(s, buf);
}

// What the server sends back for `bytes` written on a fresh connection, up
// to its closing the connection or `timeout`.
struct raw_answer {
  std::string bytes;
  bool closed = false;  // the server closed the connection
  int responses() const {
    int n = 0;
    for (std::size_t at = bytes.find("HTTP/1.1 "); at != std::string::npos; at = bytes.find("HTTP/1.1 ", at + 1)) ++n;
    return n;
  }
};

raw_answer raw_exchange(int port, const std::string& bytes, std::chrono::seconds timeout = std::chrono::seconds(5)) {
  asio::io_context io;
  auto s = testing::connect_to(io, port);
  asio::write(s, asio::buffer(bytes));
  raw_answer out;
  std::array<char, 4096> buf{};
  std::function<void()> read = [&] {
    s.async_read_some(asio::buffer(buf), [&](boost::system::error_code ec, std::size_t n) {
      out.bytes.append(buf.data(), n);
      if (!ec) return read();
      out.closed = ec == asio::error::eof || ec == asio::error::connection_reset;
    });
  };
  read();
  io.run_for(timeout);
  return out;
}

std::string post_head(const std::string& framing) {
  return "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + framing;
}

TEST_F(HttpWire, ModelsByIdAnswersTheServedModelAndModelNotFoundOtherwise) {
  const http_reply r = testing::fetch(port(), http::verb::get, std::string("/v1/models/") + testing::kStoriesId);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j()["id"], testing::kStoriesId);
  EXPECT_EQ(r.j()["object"], "model");
  const http_reply other = testing::fetch(port(), http::verb::get, "/v1/models/gpt-4");
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(other.j()["error"]["code"], "model_not_found");
}

// Raw bytes: nothing may follow the header of a HEAD response.
TEST_F(HttpWire, HeadHealthIs200WithTheGetContentLengthAndNoBody) {
  const http_reply get = testing::fetch(port(), http::verb::get, "/health");
  const raw_answer head = raw_exchange(port(), "HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(head.closed);
  EXPECT_EQ(head.bytes.rfind("HTTP/1.1 200", 0), 0u) << head.bytes;
  const std::size_t end = head.bytes.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos) << head.bytes;
  EXPECT_EQ(head.bytes.size(), end + 4) << "a body after the header: " << head.bytes;
  EXPECT_NE(head.bytes.find("Content-Length: " + std::to_string(get.body.size()) + "\r\n"), std::string::npos)
      << head.bytes;
}

TEST_F(HttpWire, DrainingAnswersGenerationWith503AndRetryAfterAndHealthWith503) {
  server_config sc;
  sc.http_port = 0;
  auto draining = std::move(start_http_server(*svc_, sc, testing::kStoriesId).value());
  draining->begin_drain();
  const http_reply r = testing::fetch(draining->port(), http::verb::post, kCompletions, kBody);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.j()["error"]["code"], "shutting_down");
  EXPECT_EQ(r.header("Retry-After"), "1");
  const http_reply h = testing::fetch(draining->port(), http::verb::get, "/health");
  EXPECT_EQ(h.status, 503);
  EXPECT_EQ(h.j()["status"], "draining");
}

// A service that holds a lone request in its bin for 10 s and admits one
// request at a time (as SlowHttpServer in http_server_test.cpp).
TEST(HttpWireFullQueue, QueueFullIs429WithRetryAfter) {
  BINSERVE_REQUIRE_SHARED(testing::kStoriesModel);
  service_config c = testing::stories_service_config();
  c.policy.batch_size = 8;
  c.policy.max_wait = std::chrono::milliseconds(10000);
  c.limits.queue_capacity = 1;
  auto svc = std::move(service::start(c).value());
  server_config sc;
  sc.http_port = 0;
  auto server = std::move(start_http_server(*svc, sc, testing::kStoriesId).value());
  asio::io_context io;
  auto first = testing::connect_to(io, server->port());
  testing::send_request(first, http::verb::post, kCompletions, kBody);
  for (int i = 0; i < 500 && svc->current_stats().submitted < 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const http_reply r = testing::fetch(server->port(), http::verb::post, kCompletions, kBody);
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.header("Retry-After"), "1");
  server->stop();  // ends the first one with 503 shutting_down, Retry-After too
  beast::flat_buffer buf;
  const http_reply cut = testing::receive_reply(first, buf, 5);
  EXPECT_EQ(cut.status, 503) << cut.body;
  EXPECT_EQ(cut.header("Retry-After"), "1");
}

TEST_F(HttpWire, UnauthorizedIs401WithWwwAuthenticateAndTheBearerSchemeIsCaseInsensitive) {
  server_config sc;
  sc.http_port = 0;
  sc.auth_token = "sekret";
  auto secured = std::move(start_http_server(*svc_, sc, testing::kStoriesId).value());
  const http_reply none = testing::fetch(secured->port(), http::verb::get, "/v1/models");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.header("WWW-Authenticate").rfind("Bearer", 0), 0u) << none.header("WWW-Authenticate");
  for (const char* accepted : {"Bearer sekret", "bearer sekret", "BEARER sekret"})
    EXPECT_EQ(ask_with(secured->port(), http::verb::get, "/v1/models", {{"Authorization", accepted}}).status, 200)
        << accepted;
  for (const char* refused : {"Basic sekret", "Bearer", "Bearer ", "sekret", "Bearer sekret2"})
    EXPECT_EQ(ask_with(secured->port(), http::verb::get, "/v1/models", {{"Authorization", refused}}).status, 401)
        << "'" << refused << "'";
  // Raw bytes, so the header value keeps its trailing spaces.
  const raw_answer blank = raw_exchange(secured->port(),
                                        "GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer   \r\n"
                                        "Connection: close\r\n\r\n");
  EXPECT_EQ(blank.bytes.rfind("HTTP/1.1 401", 0), 0u) << blank.bytes;
}

// On JSON answers, errors and streams alike.
TEST_F(HttpWire, XRequestIdIsEchoedWhenSentAndGeneratedWhenNot) {
  const headers id = {{"x-request-id", "req-42"}, {"Content-Type", "application/json"}};
  EXPECT_EQ(ask_with(port(), http::verb::get, "/v1/models", id).header("x-request-id"), "req-42");
  EXPECT_EQ(ask_with(port(), http::verb::get, "/v2/nothing", id).header("x-request-id"), "req-42");
  EXPECT_EQ(ask_with(port(), http::verb::post, kCompletions, id, R"({"prompt": 5})").header("x-request-id"), "req-42");
  const http_reply sse =
      ask_with(port(), http::verb::post, kCompletions, id, R"({"prompt": "Once", "max_tokens": 2, "stream": true})");
  EXPECT_EQ(sse.header("Content-Type"), "text/event-stream");
  EXPECT_EQ(sse.header("x-request-id"), "req-42");
  const std::string a = testing::fetch(port(), http::verb::get, "/v1/models").header("x-request-id");
  const std::string b = testing::fetch(port(), http::verb::post, kCompletions, kBody).header("x-request-id");
  EXPECT_FALSE(a.empty());
  EXPECT_FALSE(b.empty());
  EXPECT_NE(a, b);
}

// Issue 14 item 10: before the fix `chunked, identity` was read as no body
// (a 400 for the empty JSON) and the connection kept alive, so the body ran
// as a second request: the smuggled POST was answered 200.
TEST_F(HttpWire, TransferEncodingOtherThanChunkedIs400AndTheBodyNeverRunsAsARequest) {
  const std::string smuggled = post_head("Content-Length: " + std::to_string(kBody.size()) + "\r\n\r\n") + kBody;
  const raw_answer a = raw_exchange(port(), post_head("Transfer-Encoding: chunked, identity\r\n\r\n") + smuggled);
  EXPECT_EQ(a.bytes.rfind("HTTP/1.1 400", 0), 0u) << a.bytes;
  EXPECT_EQ(a.responses(), 1) << a.bytes;
  EXPECT_TRUE(a.closed);
}

TEST_F(HttpWire, XchunkedOrChunkedWithContentLengthIs400) {
  const std::string length = "Content-Length: " + std::to_string(kBody.size()) + "\r\n";
  for (const char* te : {"xchunked", "chunked"}) {
    const raw_answer a =
        raw_exchange(port(), post_head("Transfer-Encoding: " + std::string(te) + "\r\n" + length + "\r\n") + kBody);
    EXPECT_EQ(a.bytes.rfind("HTTP/1.1 400", 0), 0u) << te << ": " << a.bytes;
    EXPECT_EQ(a.responses(), 1) << a.bytes;
    EXPECT_TRUE(a.closed) << te;
  }
}

TEST_F(HttpWire, ChunkedBodyInAnyCaseIsServed) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx", kBody.size());
  const std::string chunked = std::string(size) + "\r\n" + kBody + "\r\n0\r\n\r\n";
  for (const char* te : {"chunked", "Chunked", "CHUNKED"}) {
    const raw_answer a = raw_exchange(
        port(), post_head("Transfer-Encoding: " + std::string(te) + "\r\nConnection: close\r\n\r\n") + chunked);
    EXPECT_EQ(a.bytes.rfind("HTTP/1.1 200", 0), 0u) << te << ": " << a.bytes;
  }
}

}  // namespace
}  // namespace binserve
