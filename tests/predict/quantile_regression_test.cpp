#include "predict/quantile_regression.hpp"

#include <cmath>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace binserve {
namespace {

// Three groups of requests whose lengths are exponential with these means:
// features are a bias and the group's indicator, so the linear model in log
// space can represent each group's quantile exactly.
constexpr double group_means[3] = {30, 100, 300};

std::vector<sparse_feature> group_features(int g) { return {{0, 1.0f}, {std::uint32_t(1 + g), 1.0f}}; }

double exponential_quantile(double mean, double q) { return -mean * std::log(1 - q); }

quantile_regressor trained(double q, int steps, std::uint64_t seed) {
  quantile_regressor_options o;
  o.n_features = 4;
  o.quantile = q;
  quantile_regressor r(o);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> group(0, 2);
  for (int i = 0; i < steps; ++i) {
    const int g = group(rng);
    r.update(group_features(g), std::exponential_distribution<double>(1 / group_means[g])(rng));
  }
  return r;
}

TEST(QuantileRegression, LearnsTheMedianAndNinetiethPercentileOfExponentialLengths) {
  for (double q : {0.5, 0.9}) {
    const quantile_regressor r = trained(q, 60000, 7);
    EXPECT_EQ(r.updates(), 60000);
    std::mt19937_64 rng(99);  // fresh samples: the share below the prediction is ~q
    for (int g = 0; g < 3; ++g) {
      const double predicted = r.predict(group_features(g));
      const double truth = exponential_quantile(group_means[g], q);
      EXPECT_NEAR(predicted, truth, 0.1 * truth) << "q=" << q << " group " << g;
      std::exponential_distribution<double> length(1 / group_means[g]);
      int below = 0;
      const int n = 20000;
      for (int i = 0; i < n; ++i) below += length(rng) <= predicted;
      EXPECT_NEAR(double(below) / n, q, 0.03) << "q=" << q << " group " << g;
    }
  }
}

TEST(QuantileRegression, UntrainedPredictsZeroAndPredictionsAreNeverNegative) {
  quantile_regressor r(quantile_regressor_options{});
  EXPECT_EQ(r.predict(group_features(0)), 0.0);
  for (int i = 0; i < 100; ++i) r.update(group_features(0), 0);
  EXPECT_GE(r.predict(group_features(0)), 0.0);
}

std::string saved(const quantile_regressor& r) {
  std::ostringstream out;
  EXPECT_TRUE(r.save(out).ok());
  return out.str();
}

status_or<quantile_regressor> loaded(const std::string& bytes) {
  std::istringstream in(bytes);
  return quantile_regressor::load(in);
}

TEST(QuantileRegression, SaveAndLoadRoundTripKeepsPredictionsAndLearningState) {
  quantile_regressor original = trained(0.8, 3000, 1);
  auto copy = loaded(saved(original));
  ASSERT_TRUE(copy.ok()) << copy.error().to_string();
  EXPECT_EQ(copy->updates(), original.updates());
  EXPECT_EQ(copy->options().n_features, 4);
  EXPECT_EQ(copy->options().quantile, 0.8);
  for (int g = 0; g < 3; ++g) EXPECT_EQ(copy->predict(group_features(g)), original.predict(group_features(g)));
  // The AdaGrad state came along: further learning stays identical.
  for (int i = 0; i < 50; ++i) {
    original.update(group_features(i % 3), 500);
    copy->update(group_features(i % 3), 500);
  }
  for (int g = 0; g < 3; ++g) EXPECT_EQ(copy->predict(group_features(g)), original.predict(group_features(g)));
}

void expect_invalid(const std::string& bytes, const std::string& why) {
  auto r = loaded(bytes);
  ASSERT_FALSE(r.ok()) << why;
  EXPECT_EQ(r.error().code(), error_code::model_invalid) << why;
}

TEST(QuantileRegression, TruncatedFilesAreModelInvalid) {
  const std::string good = saved(trained(0.5, 100, 3));
  for (size_t n = 0; n < good.size(); ++n) expect_invalid(good.substr(0, n), std::to_string(n));
}

// Overwrites 4 bytes at `at` with the little-endian `value`.
std::string patched(std::string bytes, size_t at, std::uint32_t value) {
  char le[4];
  for (int i = 0; i < 4; ++i) le[i] = char((value >> (8 * i)) & 0xff);
  return bytes.replace(at, 4, le, 4);
}

TEST(QuantileRegression, GarbageAndOutOfRangeHeadersAreModelInvalid) {
  const std::string good = saved(trained(0.5, 100, 3));
  const size_t version_at = 4, features_at = 8, quantile_at = 12, weights_at = 44;
  expect_invalid("", "empty");
  expect_invalid(std::string(200, 'x'), "garbage");
  expect_invalid(patched(good, 0, 0x52515343), "wrong magic");
  expect_invalid(patched(good, version_at, 2), "future version");
  expect_invalid(patched(good, features_at, 0), "no features");
  expect_invalid(patched(good, features_at, (1u << 24) + 1), "too many features");
  // A huge (allowed) feature count with no data behind it fails, not hangs.
  expect_invalid(patched(good, features_at, 1u << 24), "claims 2^24 features");
  expect_invalid(patched(patched(good, quantile_at, 0), quantile_at + 4, 0x3ff00000), "quantile 1");
  expect_invalid(patched(good, weights_at, 0x7fc00000), "NaN weight");
}

}  // namespace
}  // namespace binserve
