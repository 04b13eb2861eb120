// The TCP server over loopback, on a real service: raw sockets for the wire
// format, the client library for the synchronous API.
#include "net/tcp_server.hpp"

#include <optional>
#include <thread>

#include <ifaddrs.h>
#include <netinet/in.h>

#include <gtest/gtest.h>
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "binserve/client.hpp"
#include "tests/flooded_service.hpp"
#include "tests/net/line_socket.hpp"
#include "tests/run_binserve.hpp"
#include "tests/test_paths.hpp"

namespace binserve::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using json = nlohmann::json;

using testing::line_socket;

request ask(const std::string& prompt, int max_new_tokens) {
  request r;
  r.prompt = prompt;
  r.max_new_tokens = max_new_tokens;
  return r;
}

std::string line(const json& j) { return j.dump() + "\n"; }

json generate(const json& id, int max_new_tokens, bool stream) {
  return {{"type", "generate"},
          {"id", id},
          {"prompt", "Once upon a time"},
          {"max_new_tokens", max_new_tokens},
          {"stream", stream}};
}

class TcpServer : public ::testing::Test {
 protected:
  void start(server_config cfg = {}, const std::string& model = "dummy:stories260k", int max_prompt_tokens = 0) {
    service_config sc;
    sc.model = model;
    sc.limits.max_prompt_tokens = max_prompt_tokens;
    sc.backend = backend_kind::cpu;
    sc.threads = 2;
    sc.policy.max_wait = std::chrono::milliseconds(2);
    sc.limits.max_new_tokens = 1000;
    auto s = service::start(sc);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    svc_ = std::move(*s);
    cfg.tcp_port = 0;
    auto t = start_tcp_server(*svc_, cfg);
    ASSERT_TRUE(t.ok()) << t.error().to_string();
    server_ = std::move(*t);
    ASSERT_GT(server_->port(), 0);
  }

  void TearDown() override {
    if (server_) server_->stop();
    if (svc_) svc_->shutdown();
  }

  std::unique_ptr<service> svc_;
  std::unique_ptr<net::front_end> server_;
};

TEST_F(TcpServer, NonStreamingGenerateAnswersDone) {
  start();
  line_socket s(server_->port());
  s.send(line(generate("a", 8, false)));
  const json d = s.read();
  ASSERT_EQ(d.value("type", ""), "done") << d;
  EXPECT_EQ(d["id"], "a");
  EXPECT_LE(d["ids"].size(), 8u);
  EXPECT_GT(d["prompt_tokens"].get<int>(), 0);
  EXPECT_TRUE(d["timings"].contains("total_ms"));
}

TEST_F(TcpServer, StreamingSendsTokensInOrderThenDone) {
  start();
  line_socket s(server_->port());
  s.send(line({{"type", "generate"},
               {"id", 5},
               {"prompt", "Tom"},
               {"target_length", 20},
               {"max_new_tokens", 20},
               {"stream", true}}));
  std::string text;
  std::vector<int> ids;
  json e = s.read();
  for (; e.value("type", "") == "token"; e = s.read()) {
    EXPECT_EQ(e["id"], 5);
    EXPECT_EQ(e["index"].get<std::size_t>(), ids.size());
    ids.push_back(e["token"].get<int>());
    text += e["text"].get<std::string>();
  }
  ASSERT_EQ(e.value("type", ""), "done") << e;
  EXPECT_EQ(ids.size(), 20u);
  EXPECT_EQ(e["ids"].get<std::vector<int>>(), ids);
  EXPECT_EQ(e["text"].get<std::string>(), text);
}

TEST_F(TcpServer, TwoRequestsInFlightOnOneConnectionAreAnsweredById) {
  start();
  line_socket s(server_->port());
  s.send(line(generate(1, 12, true)) + line(generate("two", 6, true)));
  std::map<std::string, int> tokens;
  std::map<std::string, json> done;
  while (done.size() < 2) {
    const json e = s.read();
    ASSERT_TRUE(e.is_object());
    const std::string key = e["id"].dump();
    if (e["type"] == "token")
      EXPECT_EQ(e["index"].get<int>(), tokens[key]++);
    else if (e["type"] == "done")
      done[key] = e;
    else
      FAIL() << e;
  }
  EXPECT_EQ(done["1"]["ids"].size(), static_cast<std::size_t>(tokens["1"]));
  EXPECT_EQ(done["\"two\""]["ids"].size(), static_cast<std::size_t>(tokens["\"two\""]));
}

TEST_F(TcpServer, MalformedLineGetsAnErrorAndTheConnectionStaysUsable) {
  start();
  line_socket s(server_->port());
  s.send("this is not json\n" + line({{"type", "generate"}, {"id", 1}, {"prompt", "a"}, {"temprature", 1}}) +
         line({{"type", "ping"}}));
  const json e1 = s.read();
  EXPECT_EQ(e1["type"], "error");
  EXPECT_EQ(e1["code"], "protocol_malformed");
  EXPECT_TRUE(e1["id"].is_null());
  const json e2 = s.read();
  EXPECT_EQ(e2["code"], "protocol_malformed");
  EXPECT_NE(e2["message"].get<std::string>().find("temprature"), std::string::npos);
  EXPECT_EQ(s.read()["type"], "pong");
}

TEST_F(TcpServer, OversizedLineIsDiscardedWithOneErrorAndTheConnectionStaysUsable) {
  server_config cfg;
  cfg.max_line_bytes = 256;
  start(cfg);
  line_socket s(server_->port());
  s.send(R"({"type":"generate","id":1,"prompt":")" + std::string(100000, 'x') + "\"}\n" + line({{"type", "ping"}}));
  const json e = s.read();
  EXPECT_EQ(e["type"], "error");
  EXPECT_EQ(e["code"], "input_too_large");
  EXPECT_EQ(s.read()["type"], "pong");
}

TEST_F(TcpServer, ExcessRequestsOverThePerConnectionLimitAreOverloaded) {
  server_config cfg;
  cfg.per_connection_in_flight = 2;
  start(cfg);
  line_socket s(server_->port());
  s.send(line(generate(1, 30, false)) + line(generate(2, 30, false)) + line(generate(3, 30, false)));
  const json first = s.read();
  EXPECT_EQ(first["type"], "error");
  EXPECT_EQ(first["id"], 3);
  EXPECT_EQ(first["code"], "overloaded");
  EXPECT_EQ(s.read()["type"], "done");
  EXPECT_EQ(s.read()["type"], "done");
}

TEST_F(TcpServer, ServiceErrorsBecomeErrorReplies) {
  start();
  line_socket s(server_->port());
  s.send(line(generate("big", 100000, false)));
  const json e = s.read();
  EXPECT_EQ(e["type"], "error");
  EXPECT_EQ(e["id"], "big");
  EXPECT_NE(e["code"], "ok");
}

TEST_F(TcpServer, DisconnectMidStreamCancelsTheRequestAndServingGoesOn) {
  start({}, "dummy:stories15m");
  {
    line_socket s(server_->port());
    s.send(line({{"type", "generate"},
                 {"id", 1},
                 {"prompt", "a"},
                 {"target_length", 1000},
                 {"max_new_tokens", 1000},
                 {"stream", true}}));
    ASSERT_EQ(s.read()["type"], "token");
    s.close();
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (svc_->current_stats().cancelled == 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(svc_->current_stats().cancelled, 1);
  EXPECT_EQ(svc_->current_stats().completed, 0);
  line_socket other(server_->port());
  other.send(line(generate("next", 2, false)));
  EXPECT_EQ(other.read()["type"], "done");
}

TEST_F(TcpServer, CancelMessageEndsTheRequestWithCancelled) {
  start({}, "dummy:stories15m");
  line_socket s(server_->port());
  s.send(line({{"type", "generate"},
               {"id", "c"},
               {"prompt", "a"},
               {"target_length", 1000},
               {"max_new_tokens", 1000},
               {"stream", true}}));
  ASSERT_EQ(s.read()["type"], "token");
  s.send(line({{"type", "cancel"}, {"id", "c"}}));
  json e = s.read();
  while (e.value("type", "") == "token") e = s.read();
  EXPECT_EQ(e["type"], "error");
  EXPECT_EQ(e["code"], "cancelled");
}

TEST_F(TcpServer, AuthTokenIsRequiredFirst) {
  server_config cfg;
  cfg.auth_token = "s3cret";
  start(cfg);
  line_socket s(server_->port());
  s.send(line({{"type", "ping"}}));
  const json e = s.read();
  EXPECT_EQ(e["code"], "protocol_malformed");
  EXPECT_NE(e["message"].get<std::string>().find("unauthorised"), std::string::npos);
  EXPECT_TRUE(s.read().is_null());  // disconnected
  auto c = client::connect("127.0.0.1", server_->port(), "s3cret");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_TRUE(c->ping().ok());
}

TEST_F(TcpServer, ClientLibraryPingGenerateStreamAndStats) {
  start();
  auto c = client::connect("127.0.0.1", server_->port());
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_TRUE(c->ping().ok());
  std::string text;
  int count = 0;
  auto r = c->generate(ask("Lily", 10), [&](request_id, const generated_token& t) { text += t.text, ++count; });
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->text, text);
  EXPECT_EQ(r->generated_ids.size(), static_cast<std::size_t>(count));
  auto plain = c->generate(ask("Lily", 10));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->generated_ids, r->generated_ids);  // greedy
  auto st = c->stats();
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(st->completed, 2);
  auto bad = c->generate(ask("x", 100000));
  EXPECT_FALSE(bad.ok());
}

TEST_F(TcpServer, ClientLibraryGreedyTextOnStories260K) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  start({}, testing::shared_path("models/stories260K.bin"));
  auto c = client::connect("127.0.0.1", server_->port());
  ASSERT_TRUE(c.ok());
  auto r = c->generate(ask("Once upon a time", 512));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->generated_ids.size(), 341u);
  EXPECT_EQ(r->stop_reason, "stop_token");
  EXPECT_NE(r->text.find("Lily"), std::string::npos);
}

TEST_F(TcpServer, ClientCommandPrintsTheDoneLine) {
  start();
  const auto r = testing::run_binserve("client --port " + std::to_string(server_->port()) +
                                       " --prompt 'Once upon a time' --max-new-tokens 5 --stream --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json d = json::parse(r.out);
  EXPECT_EQ(d["type"], "done");
  EXPECT_EQ(d["ids"].size(), 5u);
}

// An IPv4 address of this machine other than loopback, if it has one.
std::optional<asio::ip::address_v4> non_loopback_ipv4() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<asio::ip::address_v4> found;
  for (ifaddrs* a = list; a != nullptr && !found; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    const auto ip = asio::ip::address_v4(ntohl(reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr));
    if (!ip.is_loopback()) found = ip;
  }
  freeifaddrs(list);
  return found;
}

TEST_F(TcpServer, DefaultsListenOnLoopbackOnly) {
  EXPECT_EQ(server_config{}.host, "127.0.0.1");
  start();
  const auto ip = non_loopback_ipv4();
  if (!ip) GTEST_SKIP() << "skipped: this machine has no non-loopback IPv4 address to try";
  asio::io_context io;
  tcp::socket s(io);
  boost::system::error_code ec;
  s.connect({*ip, static_cast<unsigned short>(server_->port())}, ec);
  EXPECT_TRUE(ec) << "the default server accepted a connection on " << ip->to_string();
}

TEST_F(TcpServer, ConnectionsOverMaxConnectionsAreOverloadedAndClosed) {
  server_config cfg;
  cfg.max_connections = 2;
  start(cfg);
  line_socket a(server_->port()), b(server_->port());
  for (line_socket* s : {&a, &b}) {
    s->send(line({{"type", "ping"}}));
    ASSERT_EQ(s->read()["type"], "pong");
  }
  line_socket c(server_->port());
  const json e = c.read();
  EXPECT_EQ(e["code"], "overloaded");
  EXPECT_TRUE(c.read().is_null());  // closed
  a.send(line({{"type", "ping"}}));
  EXPECT_EQ(a.read()["type"], "pong");
}

TEST_F(TcpServer, PromptOverMaxPromptTokensIsInputTooLargeWithItsId) {
  start({}, "dummy:stories260k", 8);
  line_socket s(server_->port());
  std::string prompt;
  for (int i = 0; i < 20; ++i) prompt += " once";
  s.send(line({{"type", "generate"}, {"id", "long"}, {"prompt", prompt}}));
  const json e = s.read();
  EXPECT_EQ(e["type"], "error");
  EXPECT_EQ(e["id"], "long");
  EXPECT_EQ(e["code"], "input_too_large");
  s.send(line({{"type", "generate"}, {"id", "short"}, {"prompt", "a"}, {"max_new_tokens", 2}}));
  EXPECT_EQ(s.read()["type"], "done");
}

// Fairness: a connection flooding past its per-connection limit gets
// `overloaded` for the excess, while a light connection's request is served.
TEST_F(TcpServer, AFloodingConnectionIsCappedAndALightOneIsNeverRejected) {
  server_config cfg;
  cfg.per_connection_in_flight = 4;
  start(cfg);
  line_socket flood(server_->port()), light(server_->port());
  std::string burst;
  for (int i = 0; i < 12; ++i) burst += line(generate(i, 20, false));
  flood.send(burst);
  light.send(line(generate("light", 5, false)));
  const json answer = light.read();
  EXPECT_EQ(answer["type"], "done") << answer.dump();
  int overloaded = 0, done = 0;
  for (int i = 0; i < 12; ++i) {
    const json e = flood.read();
    overloaded += e.value("code", "") == "overloaded" ? 1 : 0;
    done += e.value("type", "") == "done" ? 1 : 0;
  }
  EXPECT_EQ(overloaded, 8);
  EXPECT_EQ(done, 4);
}

// Each connection is its own client (request::client "tcp:<n>"): a light
// connection's request joins the batch after the one running, not the end of
// a flooding connection's backlog. Batch 4 (flooded_service.hpp): 40 flood
// requests would run as ten batches ahead of it first come first served.
TEST(TcpServerFairness, ALightConnectionIsNotQueuedBehindAFloodingOne) {
  auto svc = start_service(testing::flooded_service_config());
  ASSERT_TRUE(svc.ok()) << svc.error().to_string();
  server_config cfg;
  cfg.tcp_port = 0;
  auto server = start_tcp_server(**svc, cfg);
  ASSERT_TRUE(server.ok()) << server.error().to_string();
  line_socket flood((*server)->port()), light((*server)->port());
  auto eight_tokens = [](const json& id) {
    json g = generate(id, 8, false);
    g["target_length"] = 8;
    return line(g);
  };
  std::string burst;
  for (int i = 0; i < 40; ++i) burst += eight_tokens(i);
  flood.send(burst);
  for (int i = 0; i < 2000 && (*svc)->current_stats().submitted < 40; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ((*svc)->current_stats().submitted, 40);
  light.send(eight_tokens("light"));
  const json answer = light.read();
  EXPECT_EQ(answer["type"], "done") << answer.dump();
  EXPECT_LE((*svc)->current_stats().completed, 20);  // the light one and at most 19 of the flood
  for (int i = 0; i < 40; ++i) EXPECT_EQ(flood.read()["type"], "done");
  (*server)->stop();
  (*svc)->shutdown();
}

// A client that sends without reading: the server stops reading it while
// over 1 MiB of answers wait (so memory stays bounded), then serves it all.
TEST_F(TcpServer, AClientThatDoesNotReadIsPausedThenServedInFull) {
  start();
  line_socket s(server_->port());
  constexpr int kPings = 100000;  // 1.6 MB of answers
  std::string pings;
  for (int i = 0; i < kPings; ++i) pings += line({{"type", "ping"}});
  std::thread writer([&] { s.send_raw(pings); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int pongs = 0;
  while (pongs < kPings && s.read().value("type", "") == "pong") ++pongs;
  writer.join();
  EXPECT_EQ(pongs, kPings);
}

TEST(TcpServerStart, BadConfigAndPortInUseAreErrors) {
  service_config sc;
  sc.model = "dummy:stories260k";
  auto svc = service::start(sc);
  ASSERT_TRUE(svc.ok());
  server_config cfg;
  cfg.tcp_port = 0;
  cfg.max_line_bytes = 0;
  EXPECT_EQ(start_tcp_server(**svc, cfg).error().code(), error_code::config_invalid);
  cfg.max_line_bytes = 1024;
  auto first = start_tcp_server(**svc, cfg);
  ASSERT_TRUE(first.ok());
  cfg.tcp_port = (*first)->port();
  EXPECT_EQ(start_tcp_server(**svc, cfg).error().code(), error_code::io_error);
  EXPECT_EQ(client::connect("127.0.0.1", 1).error().code(), error_code::io_error);
}

}  // namespace
}  // namespace binserve::net
