// The client's length hint meets the predictor's own prediction by one rule
// (predict/length_hint.hpp), behind every predictor make_predictor builds.
#include "predict/length_hint.hpp"

#include <vector>

#include <gtest/gtest.h>

#include "predict/make_predictor.hpp"

namespace binserve {
namespace {

// `fixed` predicts 200 for every request, so the blends below are by hand.
std::unique_ptr<length_predictor> fixed_200(double hint_weight) {
  predictor_config c;
  c.kind = "fixed";
  c.fixed_length = 200;
  c.hint_weight = hint_weight;
  auto p = make_predictor(c, nullptr, backend_options{});
  EXPECT_TRUE(p.ok()) << p.error().to_string();
  return p.ok() ? std::move(*p) : nullptr;
}

const std::vector<int> kIds = {1, 2, 3};

prediction_input hinted(int hint, int max_new_tokens = 512) {
  prediction_input in{"a prompt", kIds, 0, max_new_tokens};
  in.length_hint = hint;
  return in;
}

TEST(LengthHint, WeightOneTakesTheHintAsItIs) {
  auto p = fixed_200(1.0);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->predict(hinted(40)), 40);
  EXPECT_EQ(p->predict(hinted(0)), 200);  // no hint: the predictor's own
}

TEST(LengthHint, WeightZeroIgnoresTheHint) {
  auto p = fixed_200(0.0);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->predict(hinted(40)), 200);
}

TEST(LengthHint, WeightHalfBlendsAndRounds) {
  auto p = fixed_200(0.5);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->predict(hinted(40)), 120);      // (40 + 200) / 2
  EXPECT_EQ(p->predict(hinted(41)), 121);      // 120.5 rounds away from zero
  EXPECT_EQ(p->predict(hinted(40, 100)), 70);  // fixed's own 200 is clamped to 100 first
}

TEST(LengthHint, AKnownLengthWinsOverTheHint) {
  predictor_config c;  // oracle: the known length when there is one, else fixed_length
  c.fixed_length = 200;
  for (double w : {0.0, 0.5, 1.0}) {
    c.hint_weight = w;
    auto p = make_predictor(c, nullptr, backend_options{});
    ASSERT_TRUE(p.ok()) << p.error().to_string();
    prediction_input in = hinted(40);
    in.known_length = 300;
    EXPECT_EQ((*p)->predict(in), 300) << "w=" << w;
    EXPECT_EQ((*p)->name(), "oracle");
  }
}

TEST(LengthHint, BlendClampsToOneAndTheLimit) {
  EXPECT_EQ(blend_length_hint(1, 0, 0.25, 512), 1);  // round(0.25) = 0, clamped up to 1
  EXPECT_EQ(blend_length_hint(500, 600, 0.5, 512), 512);
  EXPECT_EQ(blend_length_hint(10, 31, 1.0 / 3, 512), 24);  // 10/3 + 62/3 = 24
}

TEST(LengthHint, HintWeightOutsideTheUnitIntervalIsConfigInvalid) {
  predictor_config c;
  for (double w : {-0.1, 1.5}) {
    c.hint_weight = w;
    auto p = make_predictor(c, nullptr, backend_options{});
    ASSERT_FALSE(p.ok()) << w;
    EXPECT_EQ(p.error().code(), error_code::config_invalid);
    EXPECT_NE(p.error().message().find("predictor.hint_weight"), std::string::npos) << p.error().to_string();
  }
}

}  // namespace
}  // namespace binserve
