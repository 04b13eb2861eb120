// logit_rules: OpenAI's logit_bias and penalties, vLLM's min_tokens, and the
// raw log-softmax reported as logprobs, checked against values computed by
// hand from their formulas.
#include "gpu/logit_rules.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

namespace binserve {
namespace {

const std::vector<int> kStops = {1, 2};  // the model's stop tokens in these tests
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

TEST(LogitRules, BiasIsAddedToItsTokenOnly) {
  std::vector<float> logits = {0.5f, 1.0f, -2.0f, 3.0f};
  logit_rules rules;
  rules.bias = {{2, 1.5f}, {0, -100.0f}};
  apply_logit_rules(logits, rules, {}, kStops);
  EXPECT_EQ(logits, (std::vector<float>{0.5f - 100.0f, 1.0f, -0.5f, 3.0f}));
}

TEST(LogitRules, PenaltiesFollowTheOpenAIFormulaOnCounts) {
  // logits[j] -= c_j * frequency_penalty + (c_j > 0) * presence_penalty
  std::vector<float> logits = {1.0f, 1.0f, 1.0f, 1.0f, 1.0f};
  logit_rules rules;
  rules.presence_penalty = 0.5f;
  rules.frequency_penalty = 0.25f;
  const std::vector<int> generated = {1, 3, 1, 1};  // c_1 = 3, c_3 = 1, others 0
  apply_logit_rules(logits, rules, generated, {});
  EXPECT_FLOAT_EQ(logits[0], 1.0f);
  EXPECT_FLOAT_EQ(logits[1], 1.0f - (3 * 0.25f + 0.5f));
  EXPECT_FLOAT_EQ(logits[2], 1.0f);
  EXPECT_FLOAT_EQ(logits[3], 1.0f - (1 * 0.25f + 0.5f));
  EXPECT_FLOAT_EQ(logits[4], 1.0f);
}

TEST(LogitRules, NegativePenaltiesFavourRepetition) {
  std::vector<float> logits = {0.0f, 0.0f, 0.0f};
  logit_rules rules;
  rules.presence_penalty = -1.0f;
  rules.frequency_penalty = -2.0f;
  apply_logit_rules(logits, rules, std::vector<int>{2, 2}, {});
  EXPECT_EQ(logits, (std::vector<float>{0.0f, 0.0f, 2 * 2.0f + 1.0f}));
}

TEST(LogitRules, MinTokensMasksStopTokensOnlyWhileFewerWereGenerated) {
  logit_rules rules;
  rules.min_tokens = 3;
  std::vector<float> logits = {1.0f, 2.0f, 3.0f, 4.0f};
  apply_logit_rules(logits, rules, std::vector<int>{3, 0}, kStops);  // 2 < 3: masked
  EXPECT_EQ(logits, (std::vector<float>{1.0f, kNegInf, kNegInf, 4.0f}));
  EXPECT_TRUE(rules.active(2));

  logits = {1.0f, 2.0f, 3.0f, 4.0f};
  apply_logit_rules(logits, rules, std::vector<int>{3, 0, 3}, kStops);  // 3: no longer
  EXPECT_EQ(logits, (std::vector<float>{1.0f, 2.0f, 3.0f, 4.0f}));
  EXPECT_FALSE(rules.active(3)) << "no other rule: the backend's fast path again";
}

TEST(LogitRules, ActiveOnlyWhenARuleChangesTheLogits) {
  EXPECT_FALSE(logit_rules{}.active(0));
  EXPECT_TRUE((logit_rules{0.1f, 0.0f, {}, 0}).active(0));
  EXPECT_TRUE((logit_rules{0.0f, -0.1f, {}, 0}).active(0));
  EXPECT_TRUE((logit_rules{0.0f, 0.0f, {{3, 0.0f}}, 0}).active(100));
}

// log p(t) = x_t - log(sum_u exp(x_u)), computed the plain way in double.
double log_softmax(const std::vector<float>& x, int t) {
  double z = 0;
  for (float v : x) z += std::exp(static_cast<double>(v));
  return x[t] - std::log(z);
}

TEST(LogprobsOf, ChosenAndTopAreTheLogSoftmaxMostLikelyFirst) {
  const std::vector<float> logits = {1.0f, 2.0f, 3.0f, 0.0f, -1.0f};
  const token_logprobs lp = logprobs_of(logits, 0, 3);
  EXPECT_EQ(lp.chosen.token, 0);
  EXPECT_NEAR(lp.chosen.logprob, log_softmax(logits, 0), 1e-6);
  ASSERT_EQ(lp.top.size(), 3u);
  const int want[] = {2, 1, 0};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(lp.top[i].token, want[i]);
    EXPECT_NEAR(lp.top[i].logprob, log_softmax(logits, want[i]), 1e-6);
  }
  double mass = 0;
  for (int t = 0; t < 5; ++t) mass += std::exp(logprobs_of(logits, t, 0).chosen.logprob);
  EXPECT_NEAR(mass, 1.0, 1e-6);
}

TEST(LogprobsOf, EqualLogitsListTheLowerIdFirst) {
  const std::vector<float> logits = {0.0f, 5.0f, 7.0f, 5.0f, 7.0f, 5.0f};
  const token_logprobs lp = logprobs_of(logits, 5, 4);
  ASSERT_EQ(lp.top.size(), 4u);
  EXPECT_EQ(lp.top[0].token, 2);
  EXPECT_EQ(lp.top[1].token, 4);
  EXPECT_EQ(lp.top[2].token, 1);
  EXPECT_EQ(lp.top[3].token, 3);
  EXPECT_FLOAT_EQ(lp.top[0].logprob, lp.top[1].logprob);
}

TEST(LogprobsOf, KBeyondTheVocabularyListsEveryTokenAndZeroListsNone) {
  const std::vector<float> logits = {0.5f, -0.5f, 2.0f};
  const token_logprobs all = logprobs_of(logits, 1, 20);
  ASSERT_EQ(all.top.size(), 3u);
  EXPECT_EQ(all.top[0].token, 2);
  EXPECT_EQ(all.top[1].token, 0);
  EXPECT_EQ(all.top[2].token, 1);
  const token_logprobs none = logprobs_of(logits, 1, 0);
  EXPECT_TRUE(none.top.empty());
  EXPECT_NEAR(none.chosen.logprob, log_softmax(logits, 1), 1e-6);
}

TEST(LogprobsOf, LargeLogitsDoNotOverflow) {
  const std::vector<float> logits = {1000.0f, 1000.0f};  // exp(1000) is inf in double
  const token_logprobs lp = logprobs_of(logits, 1, 1);
  EXPECT_NEAR(lp.chosen.logprob, -std::log(2.0), 1e-6);
  EXPECT_NEAR(lp.top[0].logprob, -std::log(2.0), 1e-6);
}

}  // namespace
}  // namespace binserve
