// The whole actor pipeline through the embedding API, on the real
// stories260K model: scheduling must never change the text.
#include "binserve/service.hpp"

#include <gtest/gtest.h>

#include "gpu/generate.hpp"
#include "gpu/tokenizer.hpp"
#include "tests/direct_greedy.hpp"
#include "tests/policy_named.hpp"
#include "tests/test_paths.hpp"

namespace binserve {
namespace {

const std::vector<std::string> kPrompts = {"Once upon a time", "Lily wanted a puppy",       "The sun was hot",
                                           "Tom and Sam",      "One day, a little bird",    "The big red ball",
                                           "Mom said",         "There was a tiny frog who", "Ben liked to",
                                           "The cat sat",      "A boy found a stick",       "Sue and her dog"};

service_config stories_config(const std::string& policy) {
  service_config c;
  c.model = testing::shared_path("models/stories260K.bin");
  c.policy.kind = testing::policy_named(policy);
  c.policy.batch_size = 4;
  c.policy.bins = 3;
  c.policy.max_wait = std::chrono::milliseconds(5);
  c.limits.max_new_tokens = 300;
  c.predictor.kind = "fixed";
  c.predictor.fixed_length = 200;
  return c;
}

// Greedy ids of each prompt generated alone, directly on a backend.
std::vector<std::vector<int>> direct_greedy(int max_new_tokens) {
  return testing::direct_greedy(testing::shared_path("models/stories260K.bin"), kPrompts, max_new_tokens);
}

std::vector<status_or<result>> run_all(service& svc, int max_new_tokens) {
  std::vector<submission> subs;
  for (const auto& p : kPrompts) {
    request r;
    r.prompt = p;
    r.max_new_tokens = max_new_tokens;
    subs.push_back(svc.submit(r));
  }
  std::vector<status_or<result>> out;
  for (auto& s : subs) out.push_back(s.future.get());
  return out;
}

class ServicePolicy : public ::testing::TestWithParam<std::string> {};

TEST_P(ServicePolicy, GreedyTextEqualsDirectGenerationForEveryRequest) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  static const auto expected = direct_greedy(300);
  auto svc = service::start(stories_config(GetParam()));
  ASSERT_TRUE(svc.ok()) << svc.error().to_string();
  const auto results = run_all(**svc, 300);
  for (size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].error().to_string();
    EXPECT_EQ(results[i]->generated_ids, expected[i]) << kPrompts[i];
  }
  const stats s = (*svc)->current_stats();
  EXPECT_EQ(s.completed, static_cast<std::int64_t>(kPrompts.size()));
  EXPECT_EQ(s.failed, 0);
  EXPECT_GT(s.effective_token_ratio, 0.0);
  EXPECT_LE(s.effective_token_ratio, 1.0);
}

INSTANTIATE_TEST_SUITE_P(AllPolicies, ServicePolicy,
                         ::testing::Values("vanilla", "multibin", "sequence", "continuous", "continuous-sjf"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::erase(n, '-');
                           return n;
                         });

class ServiceRetry : public ::testing::TestWithParam<std::string> {};

TEST_P(ServiceRetry, TooShortPredictionsOverflowRetryAndKeepTheText) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  static const auto expected = direct_greedy(300);
  service_config c = stories_config("sequence");
  c.predictor.fixed_length = 20;  // every story is longer: all overflow the [0, 50) bin
  c.policy.retry = from_name<retry_mode>(GetParam()).value();
  auto svc = service::start(c);
  ASSERT_TRUE(svc.ok());
  const auto results = run_all(**svc, 300);
  for (size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].error().to_string();
    EXPECT_EQ(results[i]->generated_ids, expected[i]) << kPrompts[i];
    EXPECT_EQ(results[i]->retries, 1) << kPrompts[i];
    EXPECT_EQ(results[i]->predicted_length, 20);
  }
  EXPECT_EQ((*svc)->current_stats().retries, static_cast<std::int64_t>(kPrompts.size()));
}

INSTANTIATE_TEST_SUITE_P(BothModes, ServiceRetry, ::testing::Values("restart", "resume"));

class ServiceRebin : public ::testing::TestWithParam<std::string> {};

// policy.rebin: predicted 20, a story overflows [0, 50) at 50 tokens, is
// re-predicted 80 (20 doubled past 50) and goes to [50, 100); then 160 ->
// [150, 200); then 320 -> the last bin, capped at max_new_tokens (300). So
// it overflows once at each of 50, 100 and 200 tokens it reaches.
TEST_P(ServiceRebin, OverflowsClimbTheBinsOfTheirRefreshedPredictionAndKeepTheText) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  static const auto expected = direct_greedy(300);
  service_config c = stories_config("sequence");
  c.predictor.fixed_length = 20;
  c.policy.retry = from_name<retry_mode>(GetParam()).value();
  c.policy.rebin = true;
  auto svc = service::start(c);
  ASSERT_TRUE(svc.ok());
  const auto results = run_all(**svc, 300);
  std::int64_t overflows = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].error().to_string();
    EXPECT_EQ(results[i]->generated_ids, expected[i]) << kPrompts[i];
    const int made = static_cast<int>(expected[i].size());
    const int caps_reached = (made >= 50) + (made >= 100) + (made >= 200);
    EXPECT_EQ(results[i]->retries, caps_reached) << kPrompts[i] << ": " << made << " tokens";
    EXPECT_EQ(results[i]->predicted_length, 20);  // the arrival prediction, as reported
    overflows += caps_reached;
  }
  EXPECT_GT(overflows, static_cast<std::int64_t>(kPrompts.size()));  // some climbed twice
  EXPECT_EQ((*svc)->current_stats().retries, overflows);
}

INSTANTIATE_TEST_SUITE_P(BothModes, ServiceRebin, ::testing::Values("restart", "resume"));

}  // namespace
}  // namespace binserve
