// `binserve serve` logs through spdlog at the deployment's logging.level:
// at info, one line per request that ends (finished or refused), with its
// client, tokens in and out, stop reason and times; at warn, none.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/net/http_client.hpp"
#include "tests/serve_process.hpp"
#include "tests/test_paths.hpp"

namespace binserve {
namespace {

const char* kModel = "models/stories260K.bin";

struct deployment {
  explicit deployment(const std::string& level)
      : path((std::filesystem::path(::testing::TempDir()) / ("binserve_log_" + std::to_string(::getpid()) + ".yaml"))
                 .string()) {
    std::ofstream(path) << "model: {path: " << testing::shared_path(kModel) << "}\n"
                        << "backend: {threads: 1}\n"
                        << "predictor: {kind: fixed}\n"
                        << "logging: {level: " << level << "}\n"
                        << "server: {tcp_port: -1, http_port: 0}\n";
  }
  ~deployment() { std::filesystem::remove(path); }
  const std::string path;
};

// Serves one completion and one invalid request, stops, and returns stderr.
std::string serve_two_requests(const std::string& level) {
  const deployment config(level);
  testing::serve_process server(config.path);
  EXPECT_GT(server.http_port(), 0);
  const testing::http_reply ok =
      testing::post(server.http_port(), "/v1/completions",
                    {{"prompt", "Once upon a time"}, {"max_tokens", 5}, {"temperature", 0}, {"user", "alice"}});
  EXPECT_EQ(ok.status, 200) << ok.body;
  const testing::http_reply bad = testing::post(server.http_port(), "/v1/completions",
                                                {{"prompt", "Once upon a time"}, {"logit_bias", {{"9999", 5}}}});
  EXPECT_EQ(bad.status, 400) << bad.body;
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(std::chrono::seconds(30)), 0) << server.stderr_text();
  return server.stderr_text();
}

TEST(ServeLog, AtInfoEachRequestEndsInOneLine) {
  BINSERVE_REQUIRE_SHARED(kModel);
  const std::string err = serve_two_requests("info");
  EXPECT_TRUE(std::regex_search(err, std::regex(R"(\[info\] request 1 client=user:alice prompt=\d+ output=5 )"
                                                R"(stop=max_new_tokens retries=0 queue_ms=[0-9.]+ )"
                                                R"(first_token_ms=[0-9.]+ total_ms=[0-9.]+\n)")))
      << err;
  EXPECT_TRUE(
      std::regex_search(err, std::regex(R"(\[info\] request 2 client=http:\d+ error=invalid_argument: logit_bias: )")))
      << err;
  EXPECT_NE(err.find("[info] serving "), std::string::npos) << err;
}

TEST(ServeLog, AtWarnRequestsAreNotLogged) {
  BINSERVE_REQUIRE_SHARED(kModel);
  const std::string err = serve_two_requests("warn");
  EXPECT_EQ(err.find("request 1"), std::string::npos) << err;
  EXPECT_EQ(err.find("serving "), std::string::npos) << err;
  EXPECT_NE(err.find("[warning] "), std::string::npos) << err;  // "<signal>: draining: ..."
  EXPECT_NE(err.find(": draining: new requests are refused"), std::string::npos) << err;
}

}  // namespace
}  // namespace binserve
