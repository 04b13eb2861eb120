// The HTTP front end end to end: a real service on stories260K behind an
// http_server on an ephemeral port, driven by a Beast client.
#include "net/http_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/flooded_service.hpp"
#include "tests/net/http_client.hpp"
#include "tests/test_paths.hpp"

namespace binserve {
namespace net {
// Defined in tests/net/prometheus_test.cpp: checks the exposition format.
std::map<std::string, double> parse_prometheus(const std::string& text);
}  // namespace net

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

const char* kModel = "models/stories260K.bin";

using testing::fetch;
using testing::post;
using testing::sse_events;
using reply = testing::http_reply;

tcp::socket connect(asio::io_context& io, int port) { return testing::connect_to(io, port); }

void send(tcp::socket& s, http::verb method, const std::string& target, const std::string& body,
          const std::string& token = "") {
  testing::send_request(s, method, target, body, token);
}

reply receive(tcp::socket& s, beast::flat_buffer& buf) { return testing::receive_reply(s, buf); }

service_config stories_config() {
  service_config c;
  c.model = testing::shared_path(kModel);
  c.policy.batch_size = 4;
  c.policy.max_wait = std::chrono::milliseconds(2);
  c.predictor.kind = "fixed";
  return c;
}

class HttpServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::has_shared(kModel)) return;
    svc_ = std::move(service::start(stories_config()).value());
    server_config sc;
    sc.http_port = 0;
    server_ = std::move(start_http_server(*svc_, sc, "stories260K").value());
  }
  static void TearDownTestSuite() {
    server_.reset();
    svc_.reset();
  }
  void SetUp() override { BINSERVE_REQUIRE_SHARED(kModel); }
  int port() const { return server_->port(); }

  static std::unique_ptr<service> svc_;
  static std::unique_ptr<net::front_end> server_;
};
std::unique_ptr<service> HttpServer::svc_;
std::unique_ptr<net::front_end> HttpServer::server_;

TEST_F(HttpServer, CompletionCountsUsage) {
  const reply r =
      post(port(), "/v1/completions",
           {{"model", "stories260K"}, {"prompt", "Once upon a time"}, {"max_tokens", 20}, {"temperature", 0}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  const json j = r.j();
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["model"], "stories260K");
  const int completion = j["usage"]["completion_tokens"];
  EXPECT_GT(completion, 0);
  EXPECT_LE(completion, 20);
  EXPECT_GT(j["usage"]["prompt_tokens"].get<int>(), 0);
  EXPECT_EQ(j["usage"]["total_tokens"], j["usage"]["prompt_tokens"].get<int>() + completion);
  EXPECT_EQ(j["choices"][0]["finish_reason"], completion == 20 ? "length" : "stop");
  EXPECT_FALSE(j["choices"][0]["text"].get<std::string>().empty());
}

TEST_F(HttpServer, StreamEqualsNonStreamingGreedyText) {
  const json body = {{"prompt", "Lily wanted a puppy"}, {"max_tokens", 60}, {"temperature", 0}};
  const reply whole = post(port(), "/v1/completions", body);
  ASSERT_EQ(whole.status, 200) << whole.body;
  json streamed_body = body;
  streamed_body["stream"] = true;
  const reply s = post(port(), "/v1/completions", streamed_body);
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(s.header("Content-Type"), "text/event-stream");
  const auto events = sse_events(s.body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back(), "[DONE]");
  const json& last = events[events.size() - 2];
  EXPECT_EQ(last["choices"][0]["finish_reason"], whole.j()["choices"][0]["finish_reason"]);
  std::string text;
  for (std::size_t i = 0; i + 2 < events.size(); ++i) {
    EXPECT_EQ(events[i]["object"], "text_completion");
    EXPECT_TRUE(events[i]["choices"][0]["finish_reason"].is_null());
    text += events[i]["choices"][0]["text"].get<std::string>();
  }
  EXPECT_EQ(text, whole.j()["choices"][0]["text"].get<std::string>());
}

TEST_F(HttpServer, ChatCompletionAndChatStream) {
  const json body = {
      {"messages", {{{"role", "user"}, {"content", "Once upon a time"}}}}, {"max_tokens", 30}, {"temperature", 0}};
  const reply r = post(port(), "/v1/chat/completions", body);
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = r.j();
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  json sb = body;
  sb["stream"] = true;
  const auto events = sse_events(post(port(), "/v1/chat/completions", sb).body);
  ASSERT_GE(events.size(), 3u);
  std::string text;
  for (std::size_t i = 0; i + 2 < events.size(); ++i) {
    EXPECT_EQ(events[i]["object"], "chat.completion.chunk");
    text += events[i]["choices"][0]["delta"]["content"].get<std::string>();
  }
  EXPECT_EQ(text, j["choices"][0]["message"]["content"].get<std::string>());
}

TEST_F(HttpServer, ModelsHealthAndMetrics) {
  const reply m = fetch(port(), http::verb::get, "/v1/models");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.j()["data"][0]["id"], "stories260K");
  const reply h = fetch(port(), http::verb::get, "/health");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.j(), json({{"status", "ok"}}));
  const reply x = fetch(port(), http::verb::get, "/metrics");
  ASSERT_EQ(x.status, 200);
  EXPECT_EQ(x.header("Content-Type").rfind("text/plain", 0), 0u);
  const auto samples = net::parse_prometheus(x.body);
  EXPECT_TRUE(samples.count("binserve_requests_submitted_total"));
  EXPECT_TRUE(samples.count(R"(binserve_request_latency_ms{quantile="0.5"})"));
}

TEST_F(HttpServer, ErrorsAreOpenAiJson) {
  const reply nf = fetch(port(), http::verb::get, "/v2/nothing");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.j()["error"]["code"], "not_found");
  const reply wm = fetch(port(), http::verb::get, "/v1/completions");
  EXPECT_EQ(wm.status, 405);
  EXPECT_EQ(wm.header("Allow"), "POST");
  EXPECT_EQ(fetch(port(), http::verb::post, "/health", "{}").status, 405);
  const reply bad = fetch(port(), http::verb::post, "/v1/completions", "{not json");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.j()["error"]["type"], "invalid_request_error");
  const reply best_of = post(port(), "/v1/completions", {{"prompt", "a"}, {"best_of", 3}});
  EXPECT_EQ(best_of.status, 400);
  EXPECT_EQ(best_of.j()["error"]["param"], "best_of");
  const reply big = post(port(), "/v1/completions", {{"prompt", "a"}, {"max_tokens", 100000}});
  EXPECT_EQ(big.status, 400) << big.body;
}

TEST_F(HttpServer, OversizedBodyGets413) {
  asio::io_context io;
  auto s = connect(io, port());
  const std::string head =
      "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 2000000\r\n\r\n";
  asio::write(s, asio::buffer(head));
  beast::flat_buffer buf;
  const reply r = receive(s, buf);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.j()["error"]["code"], "input_too_large");
}

TEST_F(HttpServer, KeepAliveServesSeveralRequests) {
  asio::io_context io;
  auto s = connect(io, port());
  beast::flat_buffer buf;
  for (int i = 0; i < 3; ++i) {
    send(s, http::verb::post, "/v1/completions", R"({"prompt": "The cat sat", "max_tokens": 4})");
    EXPECT_EQ(receive(s, buf).status, 200);
  }
}

TEST_F(HttpServer, BearerTokenIsRequiredWhenConfigured) {
  server_config sc;
  sc.http_port = 0;
  sc.auth_token = "sekret";
  auto secured = std::move(start_http_server(*svc_, sc, "stories260K").value());
  EXPECT_EQ(fetch(secured->port(), http::verb::get, "/health").status, 200);
  const reply no = fetch(secured->port(), http::verb::get, "/v1/models");
  EXPECT_EQ(no.status, 401);
  EXPECT_EQ(no.j()["error"]["code"], "invalid_api_key");
  EXPECT_EQ(fetch(secured->port(), http::verb::get, "/v1/models", "", "wrong").status, 401);
  EXPECT_EQ(fetch(secured->port(), http::verb::get, "/v1/models", "", "sekret").status, 200);
}

// A chat request without max_tokens gets what the deployment allows
// (limits.max_new_tokens), as with OpenAI and vLLM; it used to get 16.
TEST(HttpServerChat, WithoutMaxTokensRunsToTheDeploymentsLimit) {
  BINSERVE_REQUIRE_SHARED(kModel);
  service_config c = stories_config();
  c.limits.max_new_tokens = 40;
  auto svc = std::move(service::start(c).value());
  server_config sc;
  sc.http_port = 0;
  auto server = std::move(start_http_server(*svc, sc, "stories260K").value());
  const reply r = post(
      server->port(), "/v1/chat/completions",
      {{"messages", {{{"role", "user"}, {"content", "Once upon a time"}}}}, {"ignore_eos", true}, {"temperature", 0}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j()["usage"]["completion_tokens"], 40);
  EXPECT_EQ(r.j()["choices"][0]["finish_reason"], "length");
}

TEST(HttpServerStart, BadPortIsConfigInvalid) {
  BINSERVE_REQUIRE_SHARED(kModel);
  auto svc = std::move(service::start(stories_config()).value());
  server_config sc;
  sc.http_port = 70000;
  auto s = start_http_server(*svc, sc, "m");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), error_code::config_invalid);
}

// The OpenAI `user` field is the fairness key (request::client "user:<user>"),
// so one user's requests over many connections share one fair share, and a
// request without it (keyed by its connection) joins the batch after the one
// running instead of waiting behind them all. Batch 4 (flooded_service.hpp):
// 24 flood requests would run as six batches ahead of it first come first
// served.
TEST(HttpServerFairness, OneUsersRequestsOverManyConnectionsShareOneFairShare) {
  auto svc = std::move(start_service(testing::flooded_service_config()).value());
  server_config sc;
  sc.http_port = 0;
  auto server = std::move(start_http_server(*svc, sc, "m").value());
  asio::io_context io;
  std::vector<tcp::socket> flood;
  const json ask = {{"prompt", "Once upon a time"}, {"max_tokens", 8}, {"temperature", 0}};
  for (int i = 0; i < 24; ++i) {
    flood.push_back(connect(io, server->port()));
    json body = ask;
    body["user"] = "flood";
    send(flood.back(), http::verb::post, "/v1/completions", body.dump());
  }
  for (int i = 0; i < 2000 && svc->current_stats().submitted < 24; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(svc->current_stats().submitted, 24);
  const reply light = post(server->port(), "/v1/completions", ask);
  EXPECT_EQ(light.status, 200) << light.body;
  EXPECT_LE(svc->current_stats().completed, 12);  // the light one and at most 11 of the flood
  for (auto& s : flood) {
    beast::flat_buffer buf;
    EXPECT_EQ(receive(s, buf).status, 200);
  }
  server->stop();
  svc->shutdown();
}

// A service that holds a lone request in its bin for 10 s, and admits one.
class SlowHttpServer : public ::testing::Test {
 protected:
  void SetUp() override {
    BINSERVE_REQUIRE_SHARED(kModel);
    service_config c = stories_config();
    c.policy.batch_size = 8;
    c.policy.max_wait = std::chrono::milliseconds(10000);
    c.limits.queue_capacity = 1;
    svc_ = std::move(service::start(c).value());
    server_config sc;
    sc.http_port = 0;
    server_ = std::move(start_http_server(*svc_, sc, "stories260K").value());
  }

  // Waits up to 5 s for `pred(stats)`.
  template <class Pred>
  bool eventually(Pred pred) {
    for (int i = 0; i < 500; ++i) {
      if (pred(svc_->current_stats())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::unique_ptr<service> svc_;
  std::unique_ptr<net::front_end> server_;
};

TEST_F(SlowHttpServer, DisconnectMidStreamCancels) {
  asio::io_context io;
  auto s = connect(io, server_->port());
  send(s, http::verb::post, "/v1/completions", R"({"prompt": "Once", "max_tokens": 50, "stream": true})");
  ASSERT_TRUE(eventually([](const stats& st) { return st.submitted == 1; }));
  s.close();
  EXPECT_TRUE(eventually([](const stats& st) { return st.cancelled == 1; }));
}

TEST_F(SlowHttpServer, FullQueueGets429) {
  asio::io_context io;
  auto first = connect(io, server_->port());
  send(first, http::verb::post, "/v1/completions", R"({"prompt": "Once", "max_tokens": 5})");
  ASSERT_TRUE(eventually([](const stats& st) { return st.submitted == 1; }));
  const reply r = post(server_->port(), "/v1/completions", {{"prompt", "Twice"}});
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.j()["error"]["code"], "overloaded");
  server_->stop();  // cancels the first request
  EXPECT_TRUE(eventually([](const stats& st) { return st.cancelled == 1; }));
}

}  // namespace
}  // namespace binserve
