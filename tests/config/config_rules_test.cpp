// The one set of value rules: a deployment file and a config built in code
// break a rule with the same key and the same words, and service::start
// refuses what `config check` refuses.
#include <functional>

#include <gtest/gtest.h>

#include "actors/worker_node.hpp"
#include "binserve/service.hpp"
#include "config/config_rules.hpp"
#include "config/deployment_loader.hpp"

namespace binserve {
namespace {

const std::string kModel = "model: {dummy: stories260k}\n";

struct rule_case {
  std::string yaml;                             // a deployment breaking one rule
  std::function<void(deployment_config&)> set;  // the same in code
  std::string expected;                         // "KEY: what"
};

std::vector<rule_case> cases() {
  using d = deployment_config;
  return {
      {"model: {dummy: stories260k, stop_tokens: [2, -3]}\n",
       [](d& c) {
         c.service.stop_tokens = {2, -3};
       },
       "model.stop_tokens[1]: must be >= 0 (got -3)"},
      {kModel + "backend: {device: 2000}\n", [](d& c) { c.service.device = 2000; },
       "backend.device: must be in [0, 1023] (got 2000)"},
      {kModel + "backend: {threads: 100000}\n", [](d& c) { c.service.threads = 100000; },
       "backend.threads: must be in [0, 1024] (got 100000)"},
      {kModel + "backend: {kv_cache_bytes: -1}\n", [](d& c) { c.service.kv_cache_bytes = -1; },
       "backend.kv_cache_bytes: must be >= 0 (got -1)"},
      {kModel + "executors: 300\n", [](d& c) { c.service.executors = 300; },
       "executors: must be in [0, 256] (got 300)"},
      {kModel + "policy: {bins: 0}\n", [](d& c) { c.service.policy.bins = 0; },
       "policy.bins: must be in [1, 1024] (got 0)"},
      {kModel + "policy: {length_sample: [3, -1]}\n",
       [](d& c) {
         c.service.policy.length_sample = {3, -1};
       },
       "policy.length_sample[1]: must be >= 0 (got -1)"},
      {kModel + "policy: {max_wait_ms: -1}\n", [](d& c) { c.service.policy.max_wait = std::chrono::milliseconds(-1); },
       "policy.max_wait_ms: must be >= 0 (got -1)"},
      {kModel + "policy: {max_preemptions: -2}\n", [](d& c) { c.service.policy.max_preemptions = -2; },
       "policy.max_preemptions: must be >= 0 (got -2)"},
      {kModel + "predictor: {kind: psychic}\n", [](d& c) { c.service.predictor.kind = "psychic"; },
       "predictor.kind: must be one of: oracle, fixed, prompt-ratio, learned, embedding, history (got 'psychic')"},
      {kModel + "predictor: {fallback: history}\n", [](d& c) { c.service.predictor.fallback = "history"; },
       "predictor.fallback: must be one of: oracle, fixed, prompt-ratio, learned, embedding (got 'history')"},
      {kModel + "predictor: {ratio: 0}\n", [](d& c) { c.service.predictor.ratio = 0; },
       "predictor.ratio: must be > 0 (got 0)"},
      {kModel + "predictor: {refresh_tokens: 0}\n", [](d& c) { c.service.predictor.refresh_tokens = 0; },
       "predictor.refresh_tokens: must be >= 1 (got 0)"},
      {kModel + "limits: {max_new_tokens: 0}\n", [](d& c) { c.service.limits.max_new_tokens = 0; },
       "limits.max_new_tokens: must be >= 1 (got 0)"},
      {kModel + "workers: [{host: '', port: 5}]\n",
       [](d& c) {
         c.service.workers = {{"", 5}};
       },
       "workers[0].host: must not be empty"},
      {kModel + "faults: {step_delay_ms: -1}\n", [](d& c) { c.service.faults.step_delay_ms = -1; },
       "faults.step_delay_ms: must be >= 0 (got -1)"},
      {kModel + "server: {host: ''}\n", [](d& c) { c.server.host = ""; }, "server.host: must not be empty"},
      {kModel + "server: {max_line_bytes: 0}\n", [](d& c) { c.server.max_line_bytes = 0; },
       "server.max_line_bytes: must be >= 1 (got 0)"},
      {kModel + "server: {per_connection_in_flight: -4}\n", [](d& c) { c.server.per_connection_in_flight = -4; },
       "server.per_connection_in_flight: must be >= 1 (got -4)"},
  };
}

TEST(ConfigRules, DefaultsKeepEveryRule) {
  EXPECT_FALSE(first_violation(service_config{}).has_value());
  EXPECT_FALSE(first_violation(server_config{}).has_value());
  EXPECT_TRUE(check_rules(policy_config{}).ok());
  EXPECT_TRUE(check_rules(predictor_config{}).ok());
}

TEST(ConfigRules, AFileAndCodeBreakARuleInTheSameWords) {
  for (const rule_case& k : cases()) {
    auto parsed = parse_deployment(k.yaml, "d.yaml");
    ASSERT_FALSE(parsed.ok()) << k.yaml;
    EXPECT_EQ(parsed.error().code(), error_code::config_invalid);
    const std::string& file_error = parsed.error().message();
    EXPECT_TRUE(file_error.starts_with("d.yaml:") && file_error.ends_with(": " + k.expected))
        << file_error << "\nwanted d.yaml:LINE:COL: " << k.expected;

    deployment_config c;
    c.service.model = "dummy:stories260k";
    k.set(c);
    const status in_code = check_rules(c.service).ok() ? check_rules(c.server) : check_rules(c.service);
    EXPECT_EQ(in_code.code(), error_code::config_invalid) << k.expected;
    EXPECT_EQ(in_code.message(), k.expected);
  }
}

TEST(ConfigRules, TheFilePointsAtTheKeyThatBreaksTheRule) {
  auto parsed = parse_deployment(kModel + "policy:\n  kind: sequence\n  bin_width: 0\n", "d.yaml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message(), "d.yaml:4:14: policy.bin_width: must be >= 1 (got 0)");
}

TEST(ConfigRules, AnIntegerItsTypeCannotHoldIsAParseError) {
  auto parsed = parse_deployment(kModel + "policy: {batch_size: 3000000000}\n", "d.yaml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message(), "d.yaml:2:22: policy.batch_size: does not fit a 32-bit integer (got 3000000000)");
}

TEST(ConfigRules, ServiceStartRefusesWhatTheFileRefuses) {
  service_config c;
  c.model = "dummy:stories260k";
  c.threads = 100000;
  auto svc = service::start(c);
  ASSERT_FALSE(svc.ok());
  EXPECT_EQ(svc.error().code(), error_code::config_invalid);
  EXPECT_EQ(svc.error().message(), "backend.threads: must be in [0, 1024] (got 100000)");
}

// A worker node checks its own bound first: the rules' message for
// executors 0 ("needs workers") is a coordinator's.
TEST(ConfigRules, AWorkerWithoutExecutorsIsToldSoInItsOwnWords) {
  service_config c;
  c.model = "dummy:stories260k";
  c.executors = 0;
  auto w = worker_node::start(c, "127.0.0.1", 0);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code(), error_code::config_invalid);
  EXPECT_EQ(w.error().message(), "executors: a worker runs at least 1 (got 0)");
  c.executors = 1;
  c.threads = -1;
  EXPECT_EQ(worker_node::start(c, "127.0.0.1", 0).error().message(), "backend.threads: must be in [0, 1024] (got -1)");
}

}  // namespace
}  // namespace binserve
