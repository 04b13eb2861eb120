// Kendall's tau-b against SciPy's documented example, and the refresh-point
// scores on a hand-worked set.
#include "predict/refresh_evaluation.hpp"

#include <gtest/gtest.h>

namespace binserve {
namespace {

TEST(KendallTauB, MatchesScipysDocumentedExample) {
  // scipy.stats.kendalltau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]).statistic
  const std::vector<double> x = {12, 2, 1, 12, 2}, y = {1, 4, 7, 1, 0};
  EXPECT_NEAR(kendall_tau_b(x, y), -0.47140452079103173, 1e-12);
  const std::vector<double> up = {1, 2, 3, 4}, same = {5, 5, 5, 5};
  EXPECT_DOUBLE_EQ(kendall_tau_b(up, up), 1.0);
  EXPECT_DOUBLE_EQ(kendall_tau_b(up, same), 0.0);  // a constant side has no order
}

TEST(ScoreRefresh, ScoresEachStepAndTheLast64Tokens) {
  // two sequences: lengths 100 and 40, points every 16 tokens
  std::vector<refresh_point> points;
  std::vector<int> predicted;
  for (int len : {100, 40})
    for (int step = 0; step <= len && step <= 64; step += 16) {
      points.push_back({step, len - step});
      predicted.push_back(len - step + (step == 16 ? 60 : 10));  // off by 10, by 60 at step 16
    }
  const refresh_scores r = score_refresh(points, predicted, points);
  EXPECT_EQ(r.admission.n, 2);
  EXPECT_DOUBLE_EQ(r.admission.mae, 10);
  EXPECT_DOUBLE_EQ(r.admission.acc50, 1);
  ASSERT_TRUE(r.after.count(16));
  EXPECT_DOUBLE_EQ(r.after.at(16).mae, 60);
  EXPECT_DOUBLE_EQ(r.after.at(16).acc50, 0);
  EXPECT_DOUBLE_EQ(r.after.at(16).acc100, 1);
  ASSERT_TRUE(r.after.count(64));
  EXPECT_EQ(r.after.at(64).n, 1);  // the 40-token sequence has no point at 64
  EXPECT_EQ(r.n_all, 8);
  EXPECT_DOUBLE_EQ(r.mae_all, (6 * 10 + 2 * 60) / 8.0);
  // remaining < 64: 100 at 48, 64 (52, 36) and 40 at 0..32 (40, 24, 8)
  EXPECT_EQ(r.n_last64, 5);
  EXPECT_DOUBLE_EQ(r.mae_last64, (4 * 10 + 60) / 5.0);
}

}  // namespace
}  // namespace binserve
