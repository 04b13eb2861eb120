#include "sched/bin_layout.hpp"
#include "tests/policy_named.hpp"

#include <climits>

#include <gtest/gtest.h>

namespace binserve::sched {
namespace {

policy_config policy(const std::string& kind) {
  policy_config p;
  p.kind = testing::policy_named(kind);
  return p;
}

TEST(BinLayout, VanillaIsOneBinCappedAtMaxNewTokensPlusTheRetryBin) {
  auto l = bin_layout::make(policy("vanilla"), 512);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->bins().size(), 2u);
  EXPECT_EQ(l->bins()[0].cap, 512);
  EXPECT_EQ(l->bins()[0].batch_size, 16);
  EXPECT_EQ(l->bin_for(1), 0);
  EXPECT_EQ(l->bin_for(100000), 0);
  EXPECT_EQ(l->retry_bin(), 1);
}

TEST(BinLayout, MultibinBoundariesSplitTheSampleIntoEqualMass) {
  policy_config p = policy("multibin");
  p.bins = 4;
  for (int i = 1; i <= 400; ++i) p.length_sample.push_back(i);
  auto l = bin_layout::make(p, 512);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->bins().size(), 5u);
  int counts[4] = {};
  for (int v : p.length_sample) ++counts[l->bin_for(v)];
  for (int c : counts) EXPECT_NEAR(c, 100, 1);
  EXPECT_EQ(l->bins()[3].hi, INT_MAX);
}

TEST(BinLayout, MultibinEstimatesBoundariesOnlineWithoutASample) {
  policy_config p = policy("multibin");
  p.bins = 2;
  auto l = bin_layout::make(p, 512);
  ASSERT_TRUE(l.ok());
  EXPECT_NEAR(l->bins()[0].hi, 256, 2);  // an even split before any prediction
  for (int i = 0; i < 1024; ++i) l->observe_prediction(i % 2 == 0 ? 10 : 30);
  EXPECT_EQ(l->bin_for(10), 0);
  EXPECT_EQ(l->bin_for(30), 1);
}

TEST(BinLayout, SequenceBinsAreFixedWidthCappedAtTheirEdgeWithVariableBatches) {
  policy_config p = policy("sequence");
  p.bin_width = 50;
  p.batch_size = 16;
  auto l = bin_layout::make(p, 512);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->bins().size(), 12u);  // 11 bins up to 512, then the retry bin
  EXPECT_EQ(l->bin_for(49), 0);
  EXPECT_EQ(l->bin_for(50), 1);
  EXPECT_EQ(l->bins()[0].cap, 50);
  EXPECT_EQ(l->bins()[0].batch_size, 16 * 512 / 50);  // VBS: shorter bins, bigger batches
  EXPECT_EQ(l->bins()[10].cap, 512);
  EXPECT_EQ(l->bins()[10].batch_size, 16);
  EXPECT_EQ(l->bins()[11].cap, 512);
  p.variable_batch = false;
  EXPECT_EQ(bin_layout::make(p, 512)->bins()[0].batch_size, 16);
  p.cap_batches = false;  // grouped by prediction, no FCR: every batch may run to the end
  EXPECT_EQ(bin_layout::make(p, 512)->bins()[0].cap, 512);
  EXPECT_EQ(bin_layout::make(p, 512)->bin_for(49), 0);
}

TEST(BinLayout, RetriesGoToTheRetryBinOrWithRebinToTheBinOfTheirRefreshedPrediction) {
  policy_config p = policy("sequence");
  p.bin_width = 50;
  auto fcr = bin_layout::make(p, 512);
  ASSERT_TRUE(fcr.ok());
  EXPECT_EQ(fcr->route(60, 0, 0), 1);
  EXPECT_EQ(fcr->route(60, 1, 100), fcr->retry_bin());
  p.rebin = true;
  auto rebin = bin_layout::make(p, 512);
  ASSERT_TRUE(rebin.ok());
  EXPECT_EQ(rebin->route(60, 0, 0), 1);
  EXPECT_EQ(rebin->route(60, 1, 100), 2);                     // 60 doubled past 100: 120, in [100, 150)
  EXPECT_EQ(rebin->route(60, 2, 150), 4);                     // 240, in [200, 250)
  EXPECT_EQ(rebin->route(60, 3, 500), 10);                    // 960, clamped to 512: the last bin, cap 512
  EXPECT_GT(rebin->bins()[rebin->route(10, 1, 49)].cap, 49);  // the next cap is above what it made
  p.cap_batches = false;                                      // no caps, no overflows: rebin has nothing to move
  EXPECT_EQ(bin_layout::make(p, 512)->route(60, 1, 100), 11);
}

TEST(BinLayout, ContinuousPoliciesHaveNoBins) {
  EXPECT_TRUE(bin_layout::make(policy("continuous"), 512)->continuous());
  EXPECT_TRUE(bin_layout::make(policy("continuous-sjf"), 512)->continuous());
}

TEST(BinLayout, InvalidPoliciesNameTheField) {
  policy_config p = policy("vanilla");
  p.batch_size = 0;
  EXPECT_NE(bin_layout::make(p, 512).error().message().find("policy.batch_size"), std::string::npos);
}

}  // namespace
}  // namespace binserve::sched
