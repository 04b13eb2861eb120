// binserve stats end to end: against an in-process service behind a TCP
// server with a bearer token; readable lines and --json, and a refusal.
#include <iterator>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "binserve/service.hpp"
#include "net/tcp_server.hpp"
#include "tests/run_binserve.hpp"

namespace binserve {
namespace {

struct served {
  std::unique_ptr<service> svc;
  std::unique_ptr<net::front_end> tcp;
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
  auto tcp = net::start_tcp_server(**svc, cfg);
  EXPECT_TRUE(tcp.ok()) << tcp.error().to_string();
  const std::string port = std::to_string((*tcp)->port());
  return {std::move(*svc), std::move(*tcp), port};
}

// The whitespace-separated words of each line of `text`.
std::vector<std::vector<std::string>> words_of(const std::string& text) {
  std::vector<std::vector<std::string>> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream l(line);
    lines.emplace_back(std::istream_iterator<std::string>(l), std::istream_iterator<std::string>());
  }
  return lines;
}

TEST(StatsCli, PrintsEveryFieldAndEachNode) {
  served s = serve_with_token("sesame");
  const auto r = testing::run_binserve("stats --port " + s.port + " --token sesame");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::map<std::string, std::vector<std::string>> line;  // by first word
  std::vector<std::string> node0;                        // the nodes table's row of node 0
  for (const auto& w : words_of(r.out)) {
    if (!w.empty()) line[w[0]] = w;
    if (w.size() > 1 && w[0] == "0" && w[1] == "local") node0 = w;
  }
  std::map<std::string, std::string> value;  // KEY VALUE lines
  for (const auto& [key, w] : line)
    if (w.size() == 2) value[key] = w[1];
  EXPECT_EQ(value["completed"], "5") << r.out;
  EXPECT_EQ(value["failed"], "0") << r.out;
  EXPECT_EQ(value["submitted"], "5") << r.out;
  EXPECT_EQ(value["generated_tokens"], "15") << r.out;
  ASSERT_GE(line["latency"].size(), 3u) << r.out;  // latency mean X p50 X ...
  EXPECT_EQ(line["latency"][1], "mean") << r.out;
  EXPECT_EQ(line["node"], (std::vector<std::string>{"node", "name", "connected", "executors", "batches",
                                                    "computed_slots", "executor_failures", "problem"}))
      << r.out;
  // node name connected executors batches computed_slots executor_failures problem
  ASSERT_EQ(node0.size(), 8u) << r.out;
  EXPECT_EQ(node0[2], "true");
  EXPECT_EQ(node0[3], "2");
  EXPECT_EQ(node0[4], "5");
  EXPECT_EQ(node0[6], "0");
  EXPECT_EQ(node0[7], "-");
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
