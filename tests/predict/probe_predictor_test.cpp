// The probe on synthetic sequences whose "states" carry the remaining length:
// it must read a clean signal, and pooling its readings must beat the latest
// reading alone when each refresh sees the signal through independent noise
// (the reason to pool). Also its file round trip and the labelling of
// trace rows.
#include "predict/probe_predictor.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <unistd.h>

namespace binserve {
namespace {

// Sequences of lengths U[20, 300]; at each refresh (every 16 tokens) the
// state is (remaining + noise) / 100 and two pure-noise features.
struct synthetic {
  std::vector<std::vector<float>> states;  // kept alive for the spans
  std::vector<probe_example> rows;
  std::vector<int> sequence;  // of each row
};

synthetic make_sequences(int n, double noise, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> length(20, 300);
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  synthetic s;
  s.states.reserve(n * 20);
  for (int i = 0; i < n; ++i) {
    const int len = length(rng);
    for (int step = 0; step <= len; step += 16) {
      const float signal = float(len - step + noise * gauss(rng)) / 100.0f;
      s.states.push_back({signal, gauss(rng), gauss(rng)});
      s.rows.push_back({{s.states.back(), step, 10}, len - step});
      s.sequence.push_back(i);
    }
  }
  return s;
}

probe_options options(double smoothing) {
  probe_options o;
  o.bins = 16;
  o.smoothing = smoothing;
  o.mlp.hidden = 16;
  o.mlp.epochs = 8;
  o.mlp.learning_rate = 3e-3;
  return o;
}

// MAE of p over s's rows with step >= min_step, each sequence read in order.
double mae(const probe_predictor& p, const synthetic& s, int min_step) {
  double sum = 0;
  int n = 0;
  probe_predictor::belief b;
  for (std::size_t r = 0; r < s.rows.size(); ++r) {
    if (r == 0 || s.sequence[r] != s.sequence[r - 1]) b = {};
    p.refresh(b, s.rows[r].in);
    if (s.rows[r].in.step >= min_step) sum += std::abs(p.remaining(b) - s.rows[r].remaining), ++n;
  }
  return sum / n;
}

TEST(ProbePredictor, ReadsACleanSignal) {
  const synthetic train = make_sequences(1500, 0.0, 1), test = make_sequences(300, 0.0, 2);
  auto p = probe_predictor::train(train.rows, {1}, 16, options(0.0), 3);
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  // remaining spans 0..300 (a constant guess is off by ~70): equal-mass
  // bins of ~20 tokens leave an error of a few tokens
  EXPECT_LT(mae(*p, test, 0), 12.0);
}

TEST(ProbePredictor, PoolingBeatsTheLatestReadingUnderIndependentNoise) {
  const synthetic train = make_sequences(1500, 80.0, 4), test = make_sequences(400, 80.0, 5);
  auto p = probe_predictor::train(train.rows, {1}, 16, options(1.0), 6);
  ASSERT_TRUE(p.ok());
  const double pooled = mae(*p, test, 64);
  p->set_smoothing(0.0);
  const double raw = mae(*p, test, 64);
  EXPECT_LT(pooled, 0.8 * raw) << "pooled " << pooled << ", raw " << raw;
}

TEST(ProbePredictor, AFileRoundTripPredictsTheSameAndDamageIsModelInvalid) {
  const synthetic train = make_sequences(300, 20.0, 7);
  auto p = probe_predictor::train(train.rows, {2, 4}, 16, options(1.0), 8);
  ASSERT_TRUE(p.ok());
  const std::string path =
      (std::filesystem::temp_directory_path() / ("binserve_probe_" + std::to_string(getpid()) + ".json")).string();
  ASSERT_TRUE(p->save(path).ok());
  auto back = probe_predictor::load(path);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->layers(), (std::vector<int>{2, 4}));
  EXPECT_DOUBLE_EQ(mae(*back, train, 0), mae(*p, train, 0));
  std::ofstream(path, std::ios::trunc) << R"({"kind": "probe", "version": 1, "width": 3})";
  auto bad = probe_predictor::load(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), error_code::model_invalid);
  EXPECT_NE(bad.error().message().find(path), std::string::npos);
  std::filesystem::remove(path);
}

TEST(ProbeExamples, LabelRowsWithTheTokensToComeAndRefuseRowsThatDoNotFit) {
  state_trace t({1}, 2, 16);
  t.add(0, 0, std::vector<float>{1, 2});
  t.add(0, 16, std::vector<float>{3, 4});
  t.add(1, 0, std::vector<float>{5, 6});
  const std::vector<int> lengths = {20, 9}, prompt_tokens = {4, 5};
  auto rows = probe_examples(t, lengths, prompt_tokens, {true, false});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].remaining, 4);
  EXPECT_EQ((*rows)[1].in.step, 16);
  EXPECT_EQ((*rows)[1].in.prompt_tokens, 4);
  EXPECT_EQ((*rows)[1].in.states[1], 4.0f);
  const std::vector<int> short_lengths = {10, 9};
  EXPECT_EQ(probe_examples(t, short_lengths, prompt_tokens, {true, true}).error().code(),
            error_code::invalid_argument);  // step 16 past length 10
  const std::vector<int> one = {20};
  EXPECT_EQ(probe_examples(t, one, prompt_tokens, {true, true}).error().code(), error_code::invalid_argument);
}

}  // namespace
}  // namespace binserve
