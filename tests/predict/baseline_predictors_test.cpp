#include "predict/baseline_predictors.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace binserve {
namespace {

prediction_input input(const std::vector<int>& ids, int known, int limit) {
  return prediction_input{"", ids, known, limit};
}

TEST(BaselinePredictors, OracleReturnsTheKnownLengthElseItsFallback) {
  oracle_predictor p(100);
  const std::vector<int> ids = {1, 2, 3};
  EXPECT_EQ(p.predict(input(ids, 42, 512)), 42);
  EXPECT_EQ(p.predict(input(ids, 0, 512)), 100);
  EXPECT_EQ(p.predict(input(ids, 900, 512)), 512);  // within the request's limit
}

TEST(BaselinePredictors, FixedAndPromptRatioStayWithinOneAndTheLimit) {
  const std::vector<int> ids(10, 5);
  EXPECT_EQ(fixed_predictor(128).predict(input(ids, 0, 64)), 64);
  EXPECT_EQ(prompt_ratio_predictor(2.5).predict(input(ids, 0, 512)), 25);
  EXPECT_EQ(prompt_ratio_predictor(0.01).predict(input(ids, 0, 512)), 1);
}

}  // namespace
}  // namespace binserve
