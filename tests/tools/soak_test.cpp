// binserve-bench soak end to end: against a null-backend deployment it starts
// itself (every accepted request answered exactly once, the rejections
// counted), and against a server that never answers (lost, exit code 1).
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/run_binserve.hpp"
#include "tests/silent_peer.hpp"

namespace binserve {
namespace {

// The last line of `out` that is a JSON object (the server's log lines may precede it).
nlohmann::json last_json(const std::string& out) {
  const auto at = out.rfind("\n{\"");
  return nlohmann::json::parse(at == std::string::npos ? out : out.substr(at + 1), nullptr, false);
}

// A null-backend deployment with small limits (examples/soak-null.yaml's), in a temp file.
std::string soak_config() {
  const auto path = std::filesystem::temp_directory_path() / ("binserve_soak_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "model: {dummy: stories260k}\nbackend: {kind: 'null'}\n"
                         "policy: {kind: vanilla, batch_size: 16, max_wait_ms: 1}\n"
                         "predictor: {kind: fixed, fixed_length: 4}\n"
                         "limits: {max_prompt_tokens: 64, max_new_tokens: 16}\n"
                         "server: {tcp_port: 0, http_port: -1, max_line_bytes: 65536, per_connection_in_flight: 16}\n"
                         "logging: {level: warn}\n";
  return path.string();
}

TEST(Soak, EveryAcceptedRequestGetsExactlyOneFinal) {
  const std::string config = soak_config();
  const auto r = testing::run_binserve_bench(
      "soak --config " + config +
      " --requests 3000 --connections 6 --in-flight 8 --cancel-ratio 0.2 --disconnect-ratio 0.005"
      " --malformed-ratio 0.05 --oversized-prompt-ratio 0.02 --oversized-prompt-words 200"
      " --oversized-line-ratio 0.01 --oversized-line-bytes 70000 --seconds 120 --json");
  std::filesystem::remove(config);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  const auto j = last_json(r.out);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j.at("sent"), 3000);
  EXPECT_EQ(j.at("lost"), 0);
  EXPECT_EQ(j.at("duplicated"), 0);
  EXPECT_EQ(j.at("unmatched"), 0);
  EXPECT_EQ(j.at("late_tokens"), 0);
  EXPECT_EQ(j.at("accepted").get<long long>(), j.at("done").get<long long>() + j.at("errors").get<long long>());
  EXPECT_GT(j.at("abandoned"), 0);
  EXPECT_GT(j.at("malformed_sent"), 0);
  EXPECT_GT(j.at("malformed_rejected"), 0);  // the others went out on connections the soak closed
  EXPECT_EQ(j.at("missing_rejections"), 0);
  EXPECT_GT(j["errors_by_code"].value("input_too_large", 0), 0) << j.dump();
  EXPECT_GT(j["errors_by_code"].value("cancelled", 0), 0) << j.dump();
  EXPECT_GT(j["rss_kib"]["end"].get<long long>(), 0);
  EXPECT_EQ(j.at("server_exit"), 0);
}

TEST(Soak, UnansweredRequestsAreLostAndExitWith1) {
  testing::run_result r;
  {
    testing::silent_peer peer;
    r = testing::run_binserve_bench("soak --port " + std::to_string(peer.port()) +
                                    " --connections 1 --in-flight 5 --requests 20 --seconds 0.2"
                                    " --drain-seconds 0.2 --malformed-ratio 0 --json");
  }
  EXPECT_EQ(r.exit_code, 1) << r.out;
  const auto j = last_json(r.out);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j.at("sent"), 5);
  EXPECT_EQ(j.at("lost"), 5);
}

}  // namespace
}  // namespace binserve
