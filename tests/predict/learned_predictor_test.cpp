#include "predict/learned_predictor.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace binserve {
namespace {

const std::vector<std::string> topics = {"rivers",    "volcanoes",  "chess",   "bread",   "jazz",    "glaciers",
                                         "bees",      "trains",     "tides",   "comets",  "maps",    "gardens",
                                         "owls",      "bridges",    "coral",   "deserts", "violins", "lighthouses",
                                         "mushrooms", "satellites", "castles", "whales",  "ink",     "clocks"};

// A synthetic workload whose true length depends on the prompt: short notes
// are ~20 tokens, long essays ~300, each with noise.
class workload {
 public:
  explicit workload(std::uint64_t seed) : rng_(seed) {}

  example next() {
    std::uniform_int_distribution<size_t> pick(0, topics.size() - 1);
    const std::string& topic = topics[pick(rng_)];
    const bool is_long = std::bernoulli_distribution(0.5)(rng_);
    example e;
    e.prompt = (is_long ? "write a long essay about " : "write a short note about ") + topic;
    e.prompt_ids.assign(7 + topic.size() / 4, 42);
    const double mean = is_long ? 300 : 20, sd = is_long ? 30 : 4;
    e.length = std::max(1, int(std::lround(std::normal_distribution<double>(mean, sd)(rng_))));
    return e;
  }

 private:
  std::mt19937_64 rng_;
};

prediction_input input_of(const example& e, int limit = 512) {
  return prediction_input{e.prompt, e.prompt_ids, 0, limit};
}

quantile_regressor_options median() {
  quantile_regressor_options o;
  o.quantile = 0.5;
  return o;
}

TEST(LearnedPredictor, OnlineLearningFromCompletionsCutsTheError) {
  learned_predictor p(median(), /*online=*/true);
  workload w(2024);
  const int n = 1000, window = 200;
  double first = 0, last = 0;
  for (int i = 0; i < n; ++i) {
    const example e = w.next();
    const double error = std::abs(p.predict(input_of(e)) - e.length);
    if (i < window) first += error;
    if (i >= n - window) last += error;
    p.observe(input_of(e), e.length);  // the completion's true length comes back
  }
  first /= window;
  last /= window;
  EXPECT_LT(last, 0.4 * first) << "MAE first " << window << ": " << first << ", last: " << last;
}

TEST(LearnedPredictor, OfflineTrainingSeparatesShortAndLongPromptsDeterministically) {
  workload w(5);
  std::vector<example> train;
  for (int i = 0; i < 600; ++i) train.push_back(w.next());
  learned_predictor a(median(), false), b(median(), false);
  a.train(train, 3, 11);
  b.train(train, 3, 11);
  example s{"write a short note about penguins", std::vector<int>(9, 42), 0};
  example l{"write a long essay about penguins", std::vector<int>(9, 42), 0};
  EXPECT_EQ(a.predict(input_of(s)), b.predict(input_of(s)));
  EXPECT_NEAR(a.predict(input_of(s)), 20, 10);
  EXPECT_NEAR(a.predict(input_of(l)), 300, 60);
}

TEST(LearnedPredictor, PredictionsStayWithinOneAndTheLimit) {
  learned_predictor p(median(), true);
  const example e{"write a long essay about owls", std::vector<int>(8, 42), 0};
  EXPECT_EQ(p.predict(input_of(e)), 1);  // untrained
  for (int i = 0; i < 500; ++i) p.observe(input_of(e), 400);
  EXPECT_EQ(p.predict(input_of(e, 64)), 64);
  EXPECT_EQ(p.predict(input_of(e, 0)), 1);
}

TEST(LearnedPredictor, OfflinePredictorIgnoresFeedback) {
  learned_predictor p(median(), /*online=*/false);
  const example e{"write a short note about owls", std::vector<int>(8, 42), 0};
  for (int i = 0; i < 100; ++i) p.observe(input_of(e), 200);
  EXPECT_EQ(p.predict(input_of(e)), 1);
}

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "binserve_learned_" + std::to_string(getpid()) + "_" + name;
}

TEST(LearnedPredictor, SavedModelLoadsWithIdenticalPredictions) {
  workload w(9);
  std::vector<example> train;
  for (int i = 0; i < 300; ++i) train.push_back(w.next());
  learned_predictor p(median(), false);
  p.train(train, 2, 1);
  const std::string path = temp_path("model.bsqr");
  ASSERT_TRUE(p.save(path).ok());
  auto q = learned_predictor::load(path, false);
  ASSERT_TRUE(q.ok()) << q.error().to_string();
  for (int i = 0; i < 50; ++i) {
    const example e = w.next();
    EXPECT_EQ((*q)->predict(input_of(e)), p.predict(input_of(e)));
  }
  std::remove(path.c_str());
}

TEST(LearnedPredictor, LoadReportsMissingAndCorruptFiles) {
  auto missing = learned_predictor::load(temp_path("absent.bsqr"), true);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), error_code::io_error);
  EXPECT_NE(missing.error().message().find("absent.bsqr"), std::string::npos);

  const std::string path = temp_path("garbage.bsqr");
  std::ofstream(path, std::ios::binary) << "not a model at all";
  auto garbage = learned_predictor::load(path, true);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code(), error_code::model_invalid);

  ASSERT_TRUE(learned_predictor(median(), true).save(path).ok());
  std::ofstream(path, std::ios::binary | std::ios::app) << "trailing";
  auto trailing = learned_predictor::load(path, true);
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.error().code(), error_code::model_invalid);
  std::remove(path.c_str());

  EXPECT_EQ(learned_predictor(median(), true).save("/nonexistent-dir/m.bsqr").code(), error_code::io_error);
}

}  // namespace
}  // namespace binserve
