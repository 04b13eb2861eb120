// The embedding predictor on the real stories260K model: its features, what
// it learns, its file, and what it costs per request.
#include "predict/embedding_predictor.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "gpu/tokenizer.hpp"
#include "tests/test_paths.hpp"

namespace binserve {

struct embedding_predictor_test_access {
  static std::vector<sparse_feature> features(embedding_predictor& p, std::span<const int> ids) {
    return p.features(ids);
  }
};

namespace {

const char* const kModel = "models/stories260K.bin";

// Counts the prefills a predictor runs on the real backend beneath, and can
// make them fail.
class counting_backend final : public backend {
 public:
  explicit counting_backend(std::unique_ptr<backend> b) : b_(std::move(b)) {}
  const model& served_model() const override { return b_->served_model(); }
  const kv_cache& kv() const override { return b_->kv(); }
  status_or<int> open_sequence(int reserve) override {
    ++opens;
    return b_->open_sequence(reserve);
  }
  void close_sequence(int seq) override {
    ++closes;
    b_->close_sequence(seq);
  }
  status forward(std::span<const sequence_chunk> chunks) override {
    ++forwards;
    if (fail) return status(error_code::backend_failure, "injected");
    return b_->forward(chunks);
  }
  std::span<const float> logits(int i) const override { return b_->logits(i); }
  std::span<const float> hidden(int i) const override { return b_->hidden(i); }
  std::span<const float> layer_states(int i) const override { return b_->layer_states(i); }

  int opens = 0, closes = 0, forwards = 0;
  bool fail = false;

 private:
  std::unique_ptr<backend> b_;
};

std::shared_ptr<const model> stories() {
  static const std::shared_ptr<const model> m = [] {
    auto loaded = load_model(testing::shared_path(kModel));
    return loaded.ok() ? std::make_shared<const model>(std::move(*loaded)) : nullptr;
  }();
  return m;
}

// One thread: a model this small gains nothing from more, and tests share
// the machine.
std::unique_ptr<backend> fresh_backend() {
  backend_options o;
  o.threads = 1;
  return make_backend(stories(), o).value();
}

const quantile_regressor_options kHead{.quantile = 0.5, .learning_rate = 0.2};

// "Once upon a time, ..." answers run long, "The end. ..." ones short; the
// 64 continuations (who x did) vary, and the same ones follow both starts, so
// only the model's reading of the start tells the groups apart. Every fourth
// continuation is held out of training.
std::vector<example> stories_and_endings(bool held_out) {
  const char* const who[] = {"a little girl", "a boy named Tom", "an old dog", "a small bird",
                             "Lily and Ben",  "a happy cat",     "mom",        "a big bear"};
  const char* const did[] = {"found a red ball.",   "went to the park.", "saw a shiny rock.", "baked a cake.",
                             "played in the snow.", "ran to the tree.",  "wanted a new toy.", "looked at the sky."};
  const tokenizer tok(stories()->vocab);
  std::vector<example> out;
  for (int i = 0; i < 64; ++i) {
    if ((i % 4 == 3) != held_out) continue;
    for (const auto& [start, length] : {std::pair{"Once upon a time, ", 300}, {"The end. ", 20}}) {
      const std::string prompt = start + std::string(who[i % 8]) + " " + did[(i / 8 + i) % 8];
      out.push_back({prompt, tok.encode(prompt), length});
    }
  }
  return out;
}

prediction_input input_of(const example& e) { return {e.prompt, e.prompt_ids, 0, 512}; }

TEST(EmbeddingPredictor, FeaturesAreDeterministicUnitNormAndDimPlusTwoLong) {
  BINSERVE_REQUIRE_SHARED(kModel);
  embedding_predictor a(fresh_backend(), {}, false), b(fresh_backend(), {}, false);
  const example e = stories_and_endings(false)[0];
  const std::vector<sparse_feature> x = embedding_predictor_test_access::features(a, e.prompt_ids);
  const int dim = stories()->config.dim;
  ASSERT_EQ(x.size(), std::size_t(dim + 2));
  double ss = 0.0;
  for (int i = 0; i < dim; ++i) ss += double(x[i].value) * x[i].value;
  EXPECT_NEAR(ss, 1.0, 1e-5);
  EXPECT_EQ(x[dim].index, std::uint32_t(dim));
  EXPECT_EQ(x[dim].value, 1.0f);
  const double n = double(e.prompt_ids.size()), n_ctx = stories()->config.n_ctx;
  EXPECT_NEAR(x[dim + 1].value, std::log1p(n) / std::log1p(n_ctx), 1e-6);
  for (embedding_predictor* p : {&a, &b}) {
    const auto again = embedding_predictor_test_access::features(*p, e.prompt_ids);
    ASSERT_EQ(again.size(), x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(again[i].index, x[i].index);
      EXPECT_EQ(again[i].value, x[i].value) << "feature " << i;
    }
  }
}

TEST(EmbeddingPredictor, LearnsThatStoriesRunLongerThanEndings) {
  BINSERVE_REQUIRE_SHARED(kModel);
  embedding_predictor p(fresh_backend(), kHead, false);
  p.train(stories_and_endings(false), 50, 7);
  int shortest_story = 512, longest_ending = 0;
  for (const example& e : stories_and_endings(true)) {  // prompts it never saw
    const int got = p.predict(input_of(e));
    EXPECT_GT(got, e.length / 2) << e.prompt;
    EXPECT_LT(got, e.length * 2) << e.prompt;
    if (e.length == 300)
      shortest_story = std::min(shortest_story, got);
    else
      longest_ending = std::max(longest_ending, got);
  }
  EXPECT_GT(shortest_story, 3 * longest_ending);
}

TEST(EmbeddingPredictor, SaveLoadRoundTripGivesTheSamePredictions) {
  BINSERVE_REQUIRE_SHARED(kModel);
  embedding_predictor p(fresh_backend(), kHead, false);
  p.train(stories_and_endings(false), 20, 1);
  const std::string path = ::testing::TempDir() + "embedding_round_trip.bin";
  ASSERT_TRUE(p.save(path).ok());
  auto q = embedding_predictor::load(path, fresh_backend(), false);
  ASSERT_TRUE(q.ok()) << q.error().to_string();
  for (const example& e : stories_and_endings(true))
    EXPECT_EQ((*q)->predict(input_of(e)), p.predict(input_of(e))) << e.prompt;
  std::remove(path.c_str());
}

TEST(EmbeddingPredictor, LoadRejectsAFileForAnotherDimAndAMissingFile) {
  BINSERVE_REQUIRE_SHARED(kModel);
  const std::string path = ::testing::TempDir() + "embedding_wrong_dim.bin";
  {
    quantile_regressor_options o;
    o.n_features = 290;  // stories15M's dim 288 + 2
    std::ofstream out(path, std::ios::binary);
    ASSERT_TRUE(quantile_regressor(o).save(out).ok());
  }
  auto wrong = embedding_predictor::load(path, fresh_backend(), false);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code(), error_code::model_invalid);
  EXPECT_NE(wrong.error().message().find("290"), std::string::npos) << wrong.error().message();
  EXPECT_NE(wrong.error().message().find("66"), std::string::npos) << wrong.error().message();
  std::remove(path.c_str());
  auto missing = embedding_predictor::load(path, fresh_backend(), false);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), error_code::io_error);
}

TEST(EmbeddingPredictor, ObserveReusesThePrefillOfItsPrediction) {
  BINSERVE_REQUIRE_SHARED(kModel);
  auto owned = std::make_unique<counting_backend>(fresh_backend());
  counting_backend& b = *owned;
  embedding_predictor p(std::move(owned), kHead, true);
  const std::vector<example> es = stories_and_endings(false);
  p.predict(input_of(es[0]));
  p.predict(input_of(es[0]));  // the same prompt twice in flight
  p.observe(input_of(es[0]), 300);
  p.observe(input_of(es[0]), 300);
  EXPECT_EQ(b.forwards, 1);
  p.observe(input_of(es[1]), 20);  // never predicted: a prefill of its own
  EXPECT_EQ(b.forwards, 2);
  p.observe(input_of(es[0]), 300);  // its features were released by the last observe
  EXPECT_EQ(b.forwards, 3);
  EXPECT_EQ(b.opens, b.closes);
}

TEST(EmbeddingPredictor, KeepsTheFeaturesOfThe4096LatestPredictionsOnly) {
  BINSERVE_REQUIRE_SHARED(kModel);
  auto owned = std::make_unique<counting_backend>(fresh_backend());
  counting_backend& b = *owned;
  embedding_predictor p(std::move(owned), kHead, true);
  std::vector<std::vector<int>> prompts;
  for (int i = 0; i <= 4096; ++i) prompts.push_back({3 + i % 500, 3 + i / 500});
  for (const auto& ids : prompts) p.predict({"", ids, 0, 64});
  const int forwards = b.forwards;
  p.observe({"", prompts.back(), 0, 64}, 10);
  EXPECT_EQ(b.forwards, forwards);
  p.observe({"", prompts.front(), 0, 64}, 10);  // evicted: prefilled again
  EXPECT_EQ(b.forwards, forwards + 1);
}

TEST(EmbeddingPredictor, BackendFailureGivesTheLimitAndClosesTheSequence) {
  BINSERVE_REQUIRE_SHARED(kModel);
  auto owned = std::make_unique<counting_backend>(fresh_backend());
  counting_backend& b = *owned;
  embedding_predictor p(std::move(owned), kHead, true);
  b.fail = true;
  const example e = stories_and_endings(false)[0];
  EXPECT_EQ(p.predict({e.prompt, e.prompt_ids, 0, 77}), 77);
  p.observe(input_of(e), 300);  // nothing to learn from, nothing breaks
  EXPECT_EQ(b.opens, 2);
  EXPECT_EQ(b.closes, 2);
  EXPECT_EQ(b.kv().open_sequences(), 0);
}

TEST(EmbeddingPredictor, PromptsLongerThanTheContextReadTheirEnd) {
  BINSERVE_REQUIRE_SHARED(kModel);
  embedding_predictor p(fresh_backend(), {}, false);
  const int n_ctx = stories()->config.n_ctx, dim = stories()->config.dim;
  std::vector<int> ids;
  for (int i = 0; i < n_ctx + 100; ++i) ids.push_back(3 + i % 400);
  const auto x = embedding_predictor_test_access::features(p, ids);
  const auto tail = embedding_predictor_test_access::features(p, std::span(ids).last(n_ctx - 1));
  ASSERT_EQ(x.size(), std::size_t(dim + 2));
  ASSERT_EQ(tail.size(), x.size());
  for (int i = 0; i < dim; ++i) EXPECT_EQ(x[i].value, tail[i].value) << "feature " << i;
}

TEST(EmbeddingPredictor, ReportsTheMeanCostOfAPrediction) {
  BINSERVE_REQUIRE_SHARED(kModel);
  embedding_predictor p(fresh_backend(), kHead, true);
  const std::vector<example> es = stories_and_endings(false);
  const tokenizer tok(stories()->vocab);
  std::vector<std::vector<int>> prompts;
  for (int i = 0; i < 200; ++i)  // distinct prompts: nothing comes from the cache
    prompts.push_back(tok.encode(es[i % es.size()].prompt + " Day " + std::to_string(i) + "."));
  const auto start = std::chrono::steady_clock::now();
  for (const auto& ids : prompts) p.predict({"", ids, 0, 512});
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "[ COST     ] embedding predict() on stories260K: %.0f us per request (mean of %zu, "
      "~%zu-token prompts)\n",
      us / prompts.size(), prompts.size(), prompts[0].size());
}

}  // namespace
}  // namespace binserve
