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

TEST(BaselinePredictors, FactoryRejectsUnknownKindsAndBadValues) {
  predictor_config c;
  c.kind = "psychic";
  auto p = make_predictor(c);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code(), error_code::config_invalid);
  EXPECT_NE(p.error().message().find("prompt-ratio"), std::string::npos);
  c.kind = "prompt-ratio";
  c.ratio = 0;
  EXPECT_FALSE(make_predictor(c).ok());
  c.ratio = 1.5;
  ASSERT_TRUE(make_predictor(c).ok());
  EXPECT_EQ((*make_predictor(c))->name(), "prompt-ratio");
}

}  // namespace
}  // namespace binserve
