#include "predict/prompt_features.hpp"

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace binserve {
namespace {

constexpr int n_features = 1 << 18;

bool same(const std::vector<sparse_feature>& a, const std::vector<sparse_feature>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].index != b[i].index || a[i].value != b[i].value) return false;
  return true;
}

// Sum of squared values of the hashed features: one per non-empty group.
double hashed_sum_sq(const std::vector<sparse_feature>& f) {
  double sum = 0;
  for (const sparse_feature& x : f)
    if (x.index >= std::uint32_t(prompt_feature_hashed_begin)) sum += double(x.value) * x.value;
  return sum;
}

TEST(PromptFeatures, AreDeterministicAndPinnedAcrossBuilds) {
  const std::vector<int> ids = {1, 2, 3};
  const auto f = prompt_features("Hello world", ids, n_features);
  EXPECT_TRUE(same(f, prompt_features("Hello world", ids, n_features)));
  // Saved models depend on these slots: a change to the hash breaks them.
  ASSERT_EQ(f.size(), 17u);
  EXPECT_EQ(f[3].index, 65247u);  // the word group: hello, world, "hello world"
  EXPECT_EQ(f[4].index, 71296u);
  EXPECT_EQ(f[5].index, 207850u);
  EXPECT_EQ(f[6].index, 5724u);  // the first trigram slot
}

TEST(PromptFeatures, FixedSlotsHoldBiasLogLengthAndALengthBucket) {
  const std::vector<int> ids(100, 7);
  const auto f = prompt_features("a prompt", ids, n_features);
  ASSERT_GE(f.size(), 3u);
  EXPECT_EQ(f[0].index, 0u);
  EXPECT_EQ(f[0].value, 1.0f);
  EXPECT_EQ(f[1].index, 1u);
  EXPECT_FLOAT_EQ(f[1].value, std::log1p(100.0f));
  EXPECT_GE(f[2].index, 2u);
  EXPECT_LT(f[2].index, std::uint32_t(prompt_feature_hashed_begin));
  const std::vector<int> longer(5000, 7);
  EXPECT_NE(prompt_features("a prompt", longer, n_features)[2].index, f[2].index);
}

TEST(PromptFeatures, IndicesStayBelowTheFeatureCount) {
  const std::vector<int> ids = {5, 6, 7, 8};
  std::string text;
  for (int i = 0; i < 500; ++i) text += "token" + std::to_string(i) + " ,;! ";
  for (int n : {prompt_feature_hashed_begin + 1, 100, 4099, n_features})
    for (const sparse_feature& x : prompt_features(text, ids, n)) EXPECT_LT(x.index, std::uint32_t(n));
}

TEST(PromptFeatures, EachHashedGroupHasUnitNorm) {
  const std::vector<int> ids = {1, 2, 3, 4};
  // Words and trigrams, repeated words included: two groups of norm 1.
  EXPECT_NEAR(hashed_sum_sq(prompt_features("the cat saw the cat", ids, n_features)), 2.0, 1e-5);
  // No words: token ids stand in for them; only punctuation trigrams remain.
  EXPECT_NEAR(hashed_sum_sq(prompt_features("?!", ids, n_features)), 2.0, 1e-5);
  // An id-only request: one group.
  EXPECT_NEAR(hashed_sum_sq(prompt_features("", ids, n_features)), 1.0, 1e-5);
  EXPECT_EQ(prompt_features("", {}, n_features).size(), 3u);
}

TEST(PromptFeatures, IgnoreCaseAndWhitespaceRunsButNotWords) {
  const std::vector<int> ids = {1, 2};
  const auto f = prompt_features("write a short note", ids, n_features);
  EXPECT_TRUE(same(f, prompt_features("  Write A\tSHORT\n\n note ", ids, n_features)));
  EXPECT_FALSE(same(f, prompt_features("write a long note", ids, n_features)));
}

}  // namespace
}  // namespace binserve
