#include "predict/make_predictor.hpp"

#include <unistd.h>

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "predict/learned_predictor.hpp"

namespace binserve {
namespace {

class MakePredictor : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = load_model("dummy:stories260k");
    ASSERT_TRUE(m.ok()) << m.error().to_string();
    served_ = std::make_shared<const model>(std::move(*m));
    backend_.threads = 1;
  }

  status_or<std::unique_ptr<length_predictor>> make(const predictor_config& c) {
    return make_predictor(c, served_, backend_);
  }

  // Expects config_invalid with `needle` in the message.
  void expect_invalid(const predictor_config& c, const std::string& needle) {
    auto p = make(c);
    ASSERT_FALSE(p.ok()) << needle;
    EXPECT_EQ(p.error().code(), error_code::config_invalid) << p.error().to_string();
    EXPECT_NE(p.error().message().find(needle), std::string::npos) << p.error().to_string();
  }

  std::shared_ptr<const model> served_;
  backend_options backend_;
};

TEST_F(MakePredictor, RejectsUnknownKindsAndBadValues) {
  predictor_config c;
  c.kind = "psychic";
  expect_invalid(c, "prompt-ratio");
  expect_invalid(c, "predictor.kind");
  c.kind = "prompt-ratio";
  c.ratio = 0;
  expect_invalid(c, "predictor.ratio");
  c.kind = "fixed";
  c.fixed_length = 0;
  expect_invalid(c, "predictor.fixed_length");
}

TEST_F(MakePredictor, RejectsQuantilesOutsideTheOpenUnitInterval) {
  predictor_config c;
  for (const char* kind : {"learned", "embedding"})
    for (double q : {0.0, 1.0, -0.5, 2.0}) {
      c.kind = kind;
      c.quantile = q;
      expect_invalid(c, "predictor.quantile");
    }
}

TEST_F(MakePredictor, RejectsBadHistorySettings) {
  predictor_config c;
  c.kind = "history";
  c.fallback = "history";
  expect_invalid(c, "predictor.fallback");
  c.fallback = "crystal-ball";
  expect_invalid(
      c, "predictor.fallback: must be one of: oracle, fixed, prompt-ratio, learned, embedding (got 'crystal-ball')");
  c.fallback = "fixed";
  c.history_capacity = -1;
  expect_invalid(c, "predictor.history_capacity");
}

TEST_F(MakePredictor, BuildsEveryKind) {
  predictor_config c;
  for (const char* kind : {"oracle", "fixed", "prompt-ratio", "learned", "history", "embedding"}) {
    c.kind = kind;
    auto p = make(c);
    ASSERT_TRUE(p.ok()) << kind << ": " << p.error().to_string();
    EXPECT_EQ((*p)->name(), kind);
  }
}

TEST_F(MakePredictor, HistoryFallsBackToTheConfiguredKind) {
  predictor_config c;
  c.kind = "history";
  c.fallback = "fixed";
  c.fixed_length = 33;
  auto p = make(c);
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  const std::vector<int> ids = {1, 2};
  EXPECT_EQ((*p)->predict(prediction_input{"unseen", ids, 0, 512}), 33);
}

TEST_F(MakePredictor, EmbeddingNeedsTheServedModel) {
  predictor_config c;
  c.kind = "embedding";
  auto p = make_predictor(c, nullptr, backend_);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code(), error_code::config_invalid);
}

TEST_F(MakePredictor, LearnedLoadsItsModelFile) {
  const std::string path = ::testing::TempDir() + "binserve_make_predictor_" + std::to_string(getpid()) + ".bsqr";
  quantile_regressor_options o;
  o.quantile = 0.9;
  ASSERT_TRUE(learned_predictor(o, true).save(path).ok());
  predictor_config c;
  c.kind = "learned";
  c.model_file = path;
  auto p = make(c);
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_EQ((*p)->name(), "learned");
  std::remove(path.c_str());
  auto missing = make(c);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), error_code::io_error);
}

}  // namespace
}  // namespace binserve
