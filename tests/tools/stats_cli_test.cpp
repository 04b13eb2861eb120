// binserve stats end to end: against an in-process service behind a TCP
// server with a bearer token; readable lines and --json, and a refusal.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "binserve/service.hpp"
#include "net/tcp_server.hpp"
#include "tests/run_binserve.hpp"

namespace binserve {
namespace {

struct served {
  std::unique_ptr<service> svc;
  std::unique_ptr<net::tcp_server> tcp;
  std::string port;
};

// A null-backend service (2 executors) that has completed 5 requests.
served serve_with_token(const std::string& token) {
  service_config sc;
  sc.model = "dummy:stories260k";
  sc.backend = backend_kind::null;
  sc.executors = 2;
  sc.policy.kind = policy_kind::vanilla;
  sc.policy.batch_size = 1;
  auto svc = service::start(sc);
  EXPECT_TRUE(svc.ok()) << svc.error().to_string();
  for (int i = 0; i < 5; ++i) EXPECT_TRUE((*svc)->submit({.prompt = "hi", .max_new_tokens = 3}).future.get().ok());
  server_config cfg;
  cfg.tcp_port = 0;
  cfg.auth_token = token;
  auto tcp = net::tcp_server::start(**svc, cfg);
  EXPECT_TRUE(tcp.ok()) << tcp.error().to_string();
  const std::string port = std::to_string((*tcp)->port());
  return {std::move(*svc), std::move(*tcp), port};
}

TEST(StatsCli, PrintsTheServerAndEachNode) {
  served s = serve_with_token("sesame");
  const auto r = testing::run_binserve("stats --port " + s.port + " --token sesame");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("server: 5 completed, 0 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("node 0 local: connected, 2 executors, 5 batches"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0 executor failures"), std::string::npos) << r.out;
}

TEST(StatsCli, JsonIsTheProtocolsStatsLine) {
  served s = serve_with_token("sesame");
  const auto r = testing::run_binserve("stats --port " + s.port + " --token sesame --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  const auto& st = j.contains("stats") ? j.at("stats") : j;
  EXPECT_EQ(st.at("completed"), 5) << r.out;
  ASSERT_EQ(st.at("nodes").size(), 1u) << r.out;
  EXPECT_EQ(st.at("nodes")[0].at("executors"), 2) << r.out;
  EXPECT_EQ(st.at("nodes")[0].at("connected"), true) << r.out;
}

TEST(StatsCli, WrongTokenOrNoServerFailsWithTheReason) {
  served s = serve_with_token("sesame");
  const auto bad = testing::run_binserve("stats --port " + s.port + " --token wrong");
  EXPECT_EQ(bad.exit_code, 1) << bad.out;
  EXPECT_NE(bad.out.find("binserve stats: "), std::string::npos) << bad.out;
  s.tcp.reset();
  const auto gone = testing::run_binserve("stats --port " + s.port);
  EXPECT_EQ(gone.exit_code, 1) << gone.out;
  EXPECT_NE(gone.out.find("binserve stats: "), std::string::npos) << gone.out;
}

}  // namespace
}  // namespace binserve
