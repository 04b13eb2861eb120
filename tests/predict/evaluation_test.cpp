#include "predict/evaluation.hpp"

#include <map>

#include <gtest/gtest.h>

namespace binserve {
namespace {

// Predicts a fixed answer per prompt and records what it was asked.
class scripted_predictor final : public length_predictor {
 public:
  explicit scripted_predictor(std::map<std::string, int> answers) : answers_(std::move(answers)) {}
  int predict(const prediction_input& in) override {
    limits.push_back(in.max_new_tokens);
    known.push_back(in.known_length);
    id_counts.push_back(static_cast<int>(in.prompt_ids.size()));
    return answers_.at(std::string(in.prompt));
  }
  void observe(const prediction_input&, int) override {}
  std::string name() const override { return "scripted"; }

  std::vector<int> limits, known, id_counts;

 private:
  std::map<std::string, int> answers_;
};

example ex(const std::string& prompt, int length) { return {prompt, {1, 2, 3}, length}; }

// Equal-mass edges of these lengths, as bin_layout sets them:
// k=2: [0,50) [50,..); k=4: <30, <50, <70, rest; k=8: <20, <30, ..., <80, rest.
const std::vector<int> kTrain = {80, 10, 70, 20, 60, 30, 50, 40};

TEST(Evaluation, ScoresKnownPredictionsExactly) {
  // (truth, prediction): (10, 10) exact; (100, 40) under by 60; (45, 200)
  // over by 155; (55, 65) over by 10.
  scripted_predictor p({{"a", 10}, {"b", 40}, {"c", 200}, {"d", 65}});
  const std::vector<example> test = {ex("a", 10), ex("b", 100), ex("c", 45), ex("d", 55)};
  const evaluation ev = evaluate(p, test, kTrain, 512);
  EXPECT_EQ(ev.n, 4);
  EXPECT_DOUBLE_EQ(ev.mae, (0 + 60 + 155 + 10) / 4.0);
  EXPECT_DOUBLE_EQ(ev.acc50, 0.5);    // a, d
  EXPECT_DOUBLE_EQ(ev.acc100, 0.75);  // a, b, d
  EXPECT_DOUBLE_EQ(ev.under_rate, 0.25);
  // Bins of (truth, prediction): k=2 a 0/0, b 1/0, c 0/1, d 1/1;
  // k=4 a 0/0, b 3/1, c 1/3, d 2/2; k=8 a 0/0, b 7/3, c 3/7, d 4/5.
  EXPECT_DOUBLE_EQ(ev.bin_acc.at(2), 0.5);
  EXPECT_DOUBLE_EQ(ev.bin_acc_pm1.at(2), 1.0);
  EXPECT_DOUBLE_EQ(ev.bin_acc.at(4), 0.5);
  EXPECT_DOUBLE_EQ(ev.bin_acc_pm1.at(4), 0.5);
  EXPECT_DOUBLE_EQ(ev.bin_acc.at(8), 0.25);
  EXPECT_DOUBLE_EQ(ev.bin_acc_pm1.at(8), 0.5);
  EXPECT_EQ(ev.bin_acc.size(), 3u);
}

TEST(Evaluation, AsksWithTheLimitTheIdsAndNoKnownLength) {
  scripted_predictor p({{"a", 10}});
  (void)evaluate(p, {ex("a", 10), ex("a", 12)}, kTrain, 300);
  EXPECT_EQ(p.limits, (std::vector<int>{300, 300}));
  EXPECT_EQ(p.known, (std::vector<int>{0, 0}));
  EXPECT_EQ(p.id_counts, (std::vector<int>{3, 3}));
}

TEST(Evaluation, ToleranceBoundsAreInclusive) {
  scripted_predictor p({{"fifty", 150}, {"hundred", 200}});
  const evaluation ev = evaluate(p, {ex("fifty", 100), ex("hundred", 100)}, kTrain, 512);
  EXPECT_DOUBLE_EQ(ev.acc50, 0.5);
  EXPECT_DOUBLE_EQ(ev.acc100, 1.0);
  EXPECT_DOUBLE_EQ(ev.under_rate, 0.0);
}

TEST(Evaluation, EmptyInputsGiveZerosAndNoBins) {
  scripted_predictor p({{"a", 10}});
  const evaluation none = evaluate(p, {}, kTrain, 512);
  EXPECT_EQ(none.n, 0);
  EXPECT_EQ(none.mae, 0.0);
  const evaluation no_train = evaluate(p, {ex("a", 10)}, {}, 512);
  EXPECT_EQ(no_train.n, 1);
  EXPECT_DOUBLE_EQ(no_train.acc50, 1.0);
  EXPECT_TRUE(no_train.bin_acc.empty());
}

}  // namespace
}  // namespace binserve
