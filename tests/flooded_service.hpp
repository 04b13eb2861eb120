// The service the fairness tests flood: one executor and one bin (vanilla)
// of batch 4 (continuous: 4 slots), every request predicted 8 tokens, and
// each step slowed to 2 ms, so a burst of requests is queued long before the
// first batch ends. Tests submit requests of exactly 8 tokens.
#pragma once

#include <chrono>
#include <string>

#include "actors/service_setup.hpp"
#include "binserve/config.hpp"
#include "tests/policy_named.hpp"

namespace binserve::testing {

inline service_setup flooded_service_config(const std::string& policy = "vanilla") {
  service_setup c;
  c.model = "dummy:stories260k";
  c.threads = 1;
  c.executors = 1;
  c.policy.kind = testing::policy_named(policy);
  c.policy.batch_size = 4;
  c.policy.max_batch_size = 4;
  c.policy.max_wait = std::chrono::milliseconds(20);
  c.predictor.kind = "fixed";
  c.predictor.fixed_length = 8;
  c.faults.step_delay_ms = 2;
  return c;
}

}  // namespace binserve::testing
