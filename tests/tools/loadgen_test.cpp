// binserve-bench loadgen end to end: against an in-process service and TCP or
// HTTP server, and against a server that never answers (every request lost, exit code 1).
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "binserve/service.hpp"
#include "net/http_server.hpp"
#include "net/tcp_server.hpp"
#include "tests/run_binserve.hpp"
#include "tests/silent_peer.hpp"

namespace binserve {
namespace {

struct served {
  std::unique_ptr<service> svc;
  std::unique_ptr<net::front_end> tcp;
};

served serve_null_backend(int per_connection_in_flight) {
  service_config sc;
  sc.model = "dummy:stories260k";
  sc.backend = backend_kind::null;
  sc.policy.kind = policy_kind::vanilla;
  sc.policy.batch_size = 16;
  sc.limits.queue_capacity = 100000;
  auto svc = service::start(sc);
  EXPECT_TRUE(svc.ok()) << svc.error().to_string();
  server_config cfg;
  cfg.tcp_port = 0;
  cfg.per_connection_in_flight = per_connection_in_flight;
  auto tcp = net::start_tcp_server(**svc, cfg);
  EXPECT_TRUE(tcp.ok()) << tcp.error().to_string();
  return {std::move(*svc), std::move(*tcp)};
}

nlohmann::json run_loadgen(const std::string& args, int expected_exit) {
  const auto r = testing::run_binserve_bench("loadgen " + args + " --json");
  EXPECT_EQ(r.exit_code, expected_exit) << r.out;
  return nlohmann::json::parse(r.out, nullptr, false);
}

TEST(Loadgen, EveryRequestAnsweredOnceWithItsLength) {
  served s = serve_null_backend(100000);
  const auto j = run_loadgen(
      "--port " + std::to_string(s.tcp->port()) + " --connections 10 --requests 2000 --workload const:5 --stream", 0);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.at("requests"), 2000);
  EXPECT_EQ(j.at("completed"), 2000);
  EXPECT_EQ(j.at("lost"), 0);
  EXPECT_EQ(j.at("duplicated"), 0);
  EXPECT_TRUE(j.at("errors").empty());
  EXPECT_GT(j.at("requests_per_s").get<double>(), 0.0);
  EXPECT_NEAR(j.at("tokens_per_s").get<double>() / j.at("requests_per_s").get<double>(), 5.0, 1e-6);
  EXPECT_LE(j["ttft_ms"]["p50"].get<double>(), j["latency_ms"]["p99"].get<double>());
}

TEST(Loadgen, HttpEveryRequestCompletesPlainAndStreaming) {
  served s = serve_null_backend(100000);
  server_config cfg;
  cfg.http_port = 0;
  auto http = start_http_server(*s.svc, cfg, "dummy");
  ASSERT_TRUE(http.ok()) << http.error().to_string();
  for (const std::string stream : {"", " --stream"}) {
    const auto j = run_loadgen("--protocol http --port " + std::to_string((*http)->port()) +
                                   " --connections 4 --requests 200 --workload const:4" + stream,
                               0);
    ASSERT_TRUE(j.is_object()) << stream;
    EXPECT_EQ(j.at("completed"), 200) << stream;
    EXPECT_EQ(j.at("lost"), 0) << stream;
    EXPECT_EQ(j.at("duplicated"), 0) << stream;
    EXPECT_TRUE(j.at("errors").empty()) << j.dump();
    EXPECT_EQ(j.at("ttft_ms").is_null(), stream.empty()) << stream;
    EXPECT_NEAR(j.at("tokens_per_s").get<double>() / j.at("requests_per_s").get<double>(), 4.0, 1e-6)
        << "each request replays its length exactly (ignore_eos)";
  }
}

TEST(Loadgen, PoissonArrivalsAndOverloadErrorsAreCountedByCode) {
  served s = serve_null_backend(2);
  const auto j = run_loadgen(
      "--port " + std::to_string(s.tcp->port()) + " --connections 2 --requests 200 --arrival poisson:100000", 0);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.at("lost"), 0);
  EXPECT_EQ(j.at("ttft_ms"), nullptr);
  const int overloaded = j.at("errors").value("overloaded", 0);
  EXPECT_EQ(j.at("completed").get<int>() + overloaded, 200);
}

TEST(Loadgen, UnansweredRequestsAreLostAndExitWith1) {
  nlohmann::json j;
  {
    testing::silent_peer peer;
    j = run_loadgen("--port " + std::to_string(peer.port()) + " --connections 1 --requests 30 --timeout-s 0.3", 1);
  }
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.at("lost"), 30);
  EXPECT_EQ(j.at("completed"), 0);
}

TEST(Loadgen, BadArrivalIsAnError) {
  const auto r = testing::run_binserve_bench("loadgen --port 1 --arrival trace");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("CSV"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace binserve
