#include "gpu/sampler.hpp"

#include <cmath>
#include <map>
#include <set>
#include <vector>

#include <gtest/gtest.h>

namespace binserve {
namespace {

TEST(Sampler, GreedyTakesTheLargestLogitAndLowestIndexOnTies) {
  const std::vector<float> logits = {0.1f, 3.0f, -1.0f, 3.0f};
  EXPECT_EQ(sample_token(logits, {}, 0), 1);
}

TEST(Sampler, SameSeedAndStepGiveTheSameToken) {
  const std::vector<float> logits = {1.0f, 1.0f, 1.0f, 1.0f, 1.0f};
  sampling_params p{1.0f, 1.0f, 42};
  for (std::uint64_t step = 0; step < 50; ++step)
    EXPECT_EQ(sample_token(logits, p, step), sample_token(logits, p, step));
  std::set<int> seen;
  for (std::uint64_t step = 0; step < 50; ++step) seen.insert(sample_token(logits, p, step));
  EXPECT_GT(seen.size(), 3u) << "different steps should draw different tokens";
}

TEST(Sampler, TemperatureSamplingFollowsTheSoftmax) {
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  std::map<int, int> counts;
  const int n = 20000;
  for (int step = 0; step < n; ++step) ++counts[sample_token(logits, {1.0f, 1.0f, 7}, step)];
  EXPECT_NEAR(counts[0] / double(n), 0.5, 0.02);
  EXPECT_NEAR(counts[1] / double(n), 0.3, 0.02);
  EXPECT_NEAR(counts[2] / double(n), 0.2, 0.02);
}

TEST(Sampler, TopPKeepsOnlyTheNucleus) {
  // probs 0.5, 0.3, 0.15, 0.05: top_p 0.7 keeps {0, 1}.
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  std::map<int, int> counts;
  const int n = 10000;
  for (int step = 0; step < n; ++step) ++counts[sample_token(logits, {1.0f, 0.7f, 3}, step)];
  EXPECT_EQ(counts[2] + counts[3], 0);
  EXPECT_NEAR(counts[0] / double(n), 0.5 / 0.8, 0.03);
}

TEST(Sampler, UniformDrawsAreInRange) {
  for (std::uint64_t s = 0; s < 1000; ++s) {
    const float u = sample_uniform(s, s * 31);
    EXPECT_GE(u, 0.0f);
    EXPECT_LT(u, 1.0f);
  }
}

}  // namespace
}  // namespace binserve
