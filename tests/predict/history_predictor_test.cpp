#include "predict/history_predictor.hpp"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace binserve {
namespace {

// A fallback that answers a fixed length and records what it was told.
class recording_predictor final : public length_predictor {
 public:
  explicit recording_predictor(std::vector<std::pair<std::string, int>>* seen) : seen_(seen) {}
  int predict(const prediction_input&) override { return 77; }
  void observe(const prediction_input& in, int true_length) override {
    seen_->emplace_back(std::string(in.prompt), true_length);
  }
  std::string name() const override { return "recording"; }

 private:
  std::vector<std::pair<std::string, int>>* seen_;
};

prediction_input text(const std::string& prompt, int limit = 512) { return prediction_input{prompt, {}, 0, limit}; }

class HistoryPredictor : public ::testing::Test {
 protected:
  history_predictor make(size_t capacity) {
    return history_predictor(std::make_unique<recording_predictor>(&seen_), capacity);
  }
  std::vector<std::pair<std::string, int>> seen_;
};

TEST_F(HistoryPredictor, RemembersTheLongestLengthSeenForAPrompt) {
  history_predictor h = make(10);
  h.observe(text("tell me a story"), 120);
  EXPECT_EQ(h.predict(text("tell me a story")), 120);
  h.observe(text("tell me a story"), 90);
  EXPECT_EQ(h.predict(text("tell me a story")), 120);
  h.observe(text("tell me a story"), 200);
  EXPECT_EQ(h.predict(text("tell me a story")), 200);
  EXPECT_EQ(h.size(), 1u);
}

TEST_F(HistoryPredictor, FallsBackForUnseenPromptsAndFeedsTheFallback) {
  history_predictor h = make(10);
  EXPECT_EQ(h.predict(text("never seen")), 77);
  h.observe(text("a"), 5);
  h.observe(text("b"), 6);
  const std::vector<std::pair<std::string, int>> expected = {{"a", 5}, {"b", 6}};
  EXPECT_EQ(seen_, expected);
  EXPECT_EQ(h.predict(text("Tell me a story")), 77);  // exact match only
}

TEST_F(HistoryPredictor, EvictsTheLeastRecentlyUsedPromptBeyondCapacity) {
  history_predictor h = make(2);
  h.observe(text("first"), 10);
  h.observe(text("second"), 20);
  EXPECT_EQ(h.predict(text("first")), 10);  // now "second" is least recently used
  h.observe(text("third"), 30);
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(h.predict(text("first")), 10);
  EXPECT_EQ(h.predict(text("third")), 30);
  EXPECT_EQ(h.predict(text("second")), 77);
}

TEST_F(HistoryPredictor, KeysIdOnlyRequestsByTheirIds) {
  history_predictor h = make(10);
  const std::vector<int> a = {1, 2, 3}, b = {1, 2, 4};
  h.observe(prediction_input{"", a, 0, 512}, 42);
  EXPECT_EQ(h.predict(prediction_input{"", a, 0, 512}), 42);
  EXPECT_EQ(h.predict(prediction_input{"", b, 0, 512}), 77);
  // Text keys by text, whatever the ids.
  h.observe(prediction_input{"hi", a, 0, 512}, 9);
  EXPECT_EQ(h.predict(prediction_input{"hi", b, 0, 512}), 9);
}

TEST_F(HistoryPredictor, ClampsRememberedLengthsToTheRequestLimit) {
  history_predictor h = make(10);
  h.observe(text("long one"), 900);
  EXPECT_EQ(h.predict(text("long one", 256)), 256);
  h.observe(text("empty answer"), 0);
  EXPECT_EQ(h.predict(text("empty answer")), 1);
}

TEST_F(HistoryPredictor, ZeroCapacityRemembersNothingButStillFeedsTheFallback) {
  history_predictor h = make(0);
  h.observe(text("x"), 50);
  EXPECT_EQ(h.size(), 0u);
  EXPECT_EQ(h.predict(text("x")), 77);
  EXPECT_EQ(seen_.size(), 1u);
}

}  // namespace
}  // namespace binserve
