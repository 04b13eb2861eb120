// `binserve serve` told to stop (SIGTERM) while requests are in flight:
// it stops taking new ones and delivers every accepted one before exiting 0
// (issue 14, must-show 3); past server.drain_timeout_s it ends the rest with
// an explicit error and exits 3. Before, the listeners and their
// connections closed first: streams ended with no [DONE], non-streaming
// requests got an empty reply, TCP clients no final event, and exit 0.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/direct_greedy.hpp"
#include "tests/net/http_client.hpp"
#include "tests/net/line_socket.hpp"
#include "tests/serve_process.hpp"
#include "tests/test_paths.hpp"

namespace binserve {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using json = nlohmann::json;
using testing::http_reply;
namespace http = testing::http;

const char* kModel = "models/stories260K.bin";
constexpr int kTokens = 64;

const std::vector<std::string> kPrompts = {"Once upon a time",         "Lily wanted a puppy", "The little robot",
                                           "One day, Tom found a box", "The sun was hot",     "A cat sat on a mat",
                                           "Sam had a red ball",       "The big tree",        "Mom made a cake",
                                           "The dog ran fast",         "Ben saw a bird",      "The girl liked to sing"};

// A deployment file whose steps take 30 ms, so kTokens tokens take about
// 2 s: the drain starts while every request is running. Removed with it.
struct deployment {
  explicit deployment(const std::string& extra)
      : path((std::filesystem::path(::testing::TempDir()) / ("binserve_drain_" + std::to_string(::getpid()) + ".yaml"))
                 .string()) {
    std::ofstream(path) << "model: {path: " << testing::shared_path(kModel) << "}\n"
                        << "backend: {threads: 1}\n"
                        << "policy: {kind: continuous, max_batch_size: 16}\n"
                        << "predictor: {kind: fixed}\n"
                        << "faults: {step_delay_ms: 30}\n"
                        << "server: {tcp_port: 0, http_port: 0" << extra << "}\n";
  }
  ~deployment() { std::filesystem::remove(path); }
  const std::string path;
};

json completion(const std::string& prompt, bool stream, int max_tokens = kTokens) {
  return {{"prompt", prompt}, {"max_tokens", max_tokens}, {"temperature", 0}, {"stream", stream}};
}

// Waits until the server counts `n` requests submitted.
void wait_submitted(int port, int n) {
  for (int i = 0; i < 500; ++i) {
    const http_reply m = testing::fetch(port, http::verb::get, "/metrics");
    if (m.body.find("binserve_requests_submitted_total " + std::to_string(n) + "\n") != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL() << "the server never counted " << n << " requests";
}

// Waits until /health says the server drains.
void wait_draining(int port) {
  for (int i = 0; i < 500; ++i) {
    if (testing::fetch(port, http::verb::get, "/health").status == 503) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  FAIL() << "/health never reported the drain";
}

// The streamed text of an SSE body, and whether it ended in a finish_reason and [DONE].
struct stream_end {
  std::string text;
  bool finished = false;
  bool done = false;
  std::string error_code;
};

stream_end read_stream(const std::string& body) {
  stream_end out;
  for (const json& e : testing::sse_events(body)) {
    if (e == "[DONE]")
      out.done = true;
    else if (e.contains("error"))
      out.error_code = e["error"]["code"];
    else {
      out.text += e["choices"][0]["text"].get<std::string>();
      out.finished = out.finished || !e["choices"][0]["finish_reason"].is_null();
    }
  }
  return out;
}

struct in_flight {
  asio::io_context io;
  std::vector<asio::ip::tcp::socket> sockets;
};

class ServeDrain : public ::testing::Test {
 protected:
  void SetUp() override { BINSERVE_REQUIRE_SHARED(kModel); }
};

TEST_F(ServeDrain, SigtermDeliversEveryAcceptedRequestThenExitsZero) {
  const auto greedy = testing::direct_greedy(testing::shared_path(kModel), kPrompts, kTokens);
  const auto expect = testing::direct_greedy_texts(testing::shared_path(kModel), kPrompts, kTokens);
  const deployment config(", drain_timeout_s: 60");
  testing::serve_process server(config.path);
  ASSERT_GT(server.http_port(), 0);
  const int port = server.http_port();
  in_flight http_calls;
  for (std::size_t i = 0; i < kPrompts.size(); ++i) {  // 8 streamed, 4 whole
    http_calls.sockets.push_back(testing::connect_to(http_calls.io, port));
    testing::send_request(http_calls.sockets.back(), http::verb::post, "/v1/completions",
                          completion(kPrompts[i], i < 8).dump());
  }
  testing::line_socket tcp(server.tcp_port());  // and one TCP client, streaming
  tcp.send(R"({"type":"generate","id":"t","prompt":"Once upon a time","max_new_tokens":64,"stream":true})"
           "\n");
  wait_submitted(port, 13);

  server.signal(SIGTERM);
  wait_draining(port);
  const http_reply late = testing::post(port, "/v1/completions", completion("Too late", false));
  EXPECT_EQ(late.status, 503) << late.body;
  EXPECT_EQ(late.header("Retry-After"), "1");
  testing::line_socket late_tcp(server.tcp_port());
  late_tcp.send(R"({"type":"generate","id":"late","prompt":"Too late"})"
                "\n");
  const json refused = late_tcp.read();
  EXPECT_EQ(refused["type"], "error");
  EXPECT_EQ(refused["code"], "shutting_down") << refused;

  for (std::size_t i = 0; i < kPrompts.size(); ++i) {
    beast::flat_buffer buf;
    const http_reply r = testing::receive_reply(http_calls.sockets[i], buf);
    ASSERT_EQ(r.status, 200) << i << ": " << r.body;
    if (i < 8) {
      const stream_end s = read_stream(r.body);
      EXPECT_EQ(s.text, expect[i]) << kPrompts[i];
      EXPECT_TRUE(s.finished && s.done) << kPrompts[i] << ": " << r.body;
    } else {
      EXPECT_EQ(r.j()["choices"][0]["text"], expect[i]) << kPrompts[i];
    }
  }
  json last;
  for (int n = 0; n < 200; ++n) {
    last = tcp.read();
    if (!last.is_object() || last["type"] != "token") break;
  }
  EXPECT_EQ(last["type"], "done") << last;
  EXPECT_EQ(last["ids"].size(), greedy[0].size());
  EXPECT_EQ(server.wait(std::chrono::seconds(30)), 0) << server.stderr_text();
  EXPECT_NE(server.stderr_text().find("drained"), std::string::npos) << server.stderr_text();
}

TEST_F(ServeDrain, PastTheDrainTimeoutWhatIsLeftEndsWithAnErrorAndExitsThree) {
  const deployment config(", drain_timeout_s: 0.5");
  testing::serve_process server(config.path);
  ASSERT_GT(server.http_port(), 0);
  const int port = server.http_port();
  in_flight calls;
  json long_one = completion("Once upon a time", true, 400);
  long_one["ignore_eos"] = true;  // 400 steps of 30 ms: far past the timeout
  calls.sockets.push_back(testing::connect_to(calls.io, port));
  testing::send_request(calls.sockets.back(), http::verb::post, "/v1/completions", long_one.dump());
  long_one["stream"] = false;
  calls.sockets.push_back(testing::connect_to(calls.io, port));
  testing::send_request(calls.sockets.back(), http::verb::post, "/v1/completions", long_one.dump());
  testing::line_socket tcp(server.tcp_port());
  tcp.send(R"({"type":"generate","id":7,"prompt":"Once","max_new_tokens":400,"ignore_eos":true})"
           "\n");
  wait_submitted(port, 3);
  // The first streamed token is out: the stream's headers are sent.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  const auto signalled = std::chrono::steady_clock::now();
  server.signal(SIGTERM);
  beast::flat_buffer b0, b1;
  const stream_end streamed = read_stream(testing::receive_reply(calls.sockets[0], b0).body);
  EXPECT_EQ(streamed.error_code, "shutting_down");
  EXPECT_TRUE(streamed.done) << "the stream still ends with [DONE]";
  const http_reply whole = testing::receive_reply(calls.sockets[1], b1);
  EXPECT_EQ(whole.status, 503) << whole.body;
  EXPECT_EQ(whole.j()["error"]["code"], "shutting_down");
  const json e = tcp.read();
  EXPECT_EQ(e["type"], "error");
  EXPECT_EQ(e["id"], 7);
  EXPECT_EQ(e["code"], "shutting_down");
  EXPECT_EQ(server.wait(std::chrono::seconds(20)), 3) << server.stderr_text();
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, std::chrono::seconds(8))
      << "cut at the drain timeout, not after the 12 s the requests needed";
  EXPECT_NE(server.stderr_text().find("drain timeout"), std::string::npos) << server.stderr_text();
}

}  // namespace
}  // namespace binserve
