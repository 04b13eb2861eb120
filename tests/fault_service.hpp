// The service the fault tests break (executor failures, batch deadlines):
// the real stories260K, two one-thread executors, batches of 4, every
// request predicted 8 tokens and allowed at most kFaultLongest; six prompts
// and their undisturbed greedy runs, which every surviving request must
// reproduce. Each test adds its own limits and faults.
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "actors/service_setup.hpp"
#include "binserve/config.hpp"
#include "binserve/request.hpp"
#include "gpu/model.hpp"
#include "tests/direct_greedy.hpp"
#include "tests/policy_named.hpp"
#include "tests/test_paths.hpp"

namespace binserve::testing {

inline const char* const kFaultModel = "models/stories260K.bin";
inline const std::vector<std::string> kFaultPrompts = {"Once upon a time", "Lily wanted a puppy",    "The sun was hot",
                                                       "Tom and Sam",      "One day, a little bird", "The cat sat"};
constexpr int kFaultLongest = 12;

// Greedy ids of each prompt alone, up to kFaultLongest tokens; a request for
// n tokens must give the first n (fewer when the stop token comes first).
inline std::vector<std::vector<int>> fault_greedy() {
  return direct_greedy(shared_path(kFaultModel), kFaultPrompts, kFaultLongest);
}

// kFaultModel loaded once, for tests that make their own backends (null
// when the shared files are missing: BINSERVE_REQUIRE_SHARED skips first).
inline std::shared_ptr<const model> fault_model() {
  static const std::shared_ptr<const model> m = [] {
    auto loaded = load_model(shared_path(kFaultModel));
    return loaded.ok() ? std::make_shared<const model>(std::move(*loaded)) : nullptr;
  }();
  return m;
}

// The i-th request of a fault load: prompt i % 6, i % kFaultLongest + 1 tokens.
inline request fault_request(int i) {
  request r;
  r.prompt = kFaultPrompts[i % kFaultPrompts.size()];
  r.max_new_tokens = i % kFaultLongest + 1;
  return r;
}

// What the i-th request must generate: the first tokens of its prompt's
// greedy run (`golden` = fault_greedy()).
inline std::vector<int> fault_want(const std::vector<std::vector<int>>& golden, int i) {
  const auto& full = golden[i % kFaultPrompts.size()];
  return {full.begin(), full.begin() + std::min<size_t>(full.size(), i % kFaultLongest + 1)};
}

inline service_setup fault_service_config(const std::string& policy) {
  service_setup c;
  c.model = shared_path(kFaultModel);
  c.threads = 1;
  c.executors = 2;
  c.policy.kind = testing::policy_named(policy);
  c.policy.batch_size = 4;
  c.policy.max_batch_size = 4;
  c.policy.max_wait = std::chrono::milliseconds(2);
  c.predictor.kind = "fixed";
  c.predictor.fixed_length = 8;
  c.limits.max_new_tokens = kFaultLongest;
  return c;
}

}  // namespace binserve::testing
