// The step-cost model: the fit, the bench-engine reader and its errors.
#include "sim/cost_model.hpp"

#include <cstdio>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace binserve::sim {
namespace {

constexpr cost_coefficients kTruth{2e-3, 5e-5, 3e-7, 4e-6};

double truth(const step_shape& s) {
  return kTruth.base + kTruth.per_sequence * s.live + kTruth.per_context_token * s.context_tokens +
         kTruth.per_prefill_token * s.prefill_tokens;
}

void expect_coefficients(const cost_coefficients& c, const cost_coefficients& want) {
  EXPECT_NEAR(c.base, want.base, 1e-9);
  EXPECT_NEAR(c.per_sequence, want.per_sequence, 1e-11);
  EXPECT_NEAR(c.per_context_token, want.per_context_token, 1e-13);
  EXPECT_NEAR(c.per_prefill_token, want.per_prefill_token, 1e-12);
}

// Steps that cost less per sequence as batches grow (a fixed cost shared
// by the batch) pull a least-squares fit to a negative per-sequence term; the
// fit keeps every coefficient >= 0, and it weighs errors relatively, so a
// millisecond step is fitted as closely as a second-long prefill.
TEST(CostModel, FitKeepsCoefficientsNonNegativeAndWeighsRelativeError) {
  std::vector<cost_sample> samples;
  for (int live : {1, 2, 4, 8}) samples.push_back({{live, 0, 0}, 0.010 - 0.0005 * live});
  samples.push_back({{1, 0, 10000}, 1.0});  // a long prefill: 100 us per token
  auto m = cost_model::fit(samples);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  const cost_coefficients c = m->coefficients();
  EXPECT_GE(c.base, 0);
  EXPECT_GE(c.per_sequence, 0);
  EXPECT_EQ(c.per_context_token, 0);
  EXPECT_GE(c.per_prefill_token, 0);
  for (const cost_sample& s : samples)  // every step within 30% of its measurement
    EXPECT_NEAR(m->step_seconds(s.shape) / s.seconds, 1.0, 0.3) << s.shape.live << " " << s.shape.prefill_tokens;
}

TEST(CostModel, FitRecoversKnownCoefficients) {
  std::vector<cost_sample> samples;
  for (int live : {1, 4, 16, 64})
    for (int context : {32, 128, 512}) {
      const step_shape decode{live, std::int64_t(live) * context, 0};
      const step_shape prefill{live, std::int64_t(live) * context, std::int64_t(live) * (context - 1)};
      samples.push_back({decode, truth(decode)});
      samples.push_back({prefill, truth(prefill)});
    }
  auto m = cost_model::fit(samples);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  expect_coefficients(m->coefficients(), kTruth);
  EXPECT_FALSE(m->is_unit());
}

TEST(CostModel, ATermTheSamplesCannotSeparateStaysZero) {
  // One context: the context cost is proportional to live, so it folds in.
  std::vector<cost_sample> samples;
  for (int live : {1, 4, 16, 64}) {
    const step_shape s{live, std::int64_t(live) * 128, 0};
    samples.push_back({s, truth(s)});
  }
  auto m = cost_model::fit(samples);
  ASSERT_TRUE(m.ok());
  expect_coefficients(m->coefficients(), {kTruth.base, kTruth.per_sequence + 128 * kTruth.per_context_token, 0, 0});
}

TEST(CostModel, FitsBenchEngineOutput) {
  nlohmann::json rows = nlohmann::json::array();
  const int steps = 8, warmup = 2;
  for (int context : {64, 256})
    for (int batch : {1, 8, 32}) {
      const double held = context + warmup + (steps + 1) / 2.0;
      const double decode = truth({batch, std::llround(batch * held), 0});
      const double prefill = truth({batch, std::int64_t(batch) * context, std::int64_t(batch) * (context - 1)});
      rows.push_back(
          {{"batch", batch}, {"context", context}, {"step_ms", decode * 1000}, {"prefill_ms", prefill * 1000}});
    }
  const nlohmann::json bench{{"model", "m"}, {"steps", steps}, {"warmup", warmup}, {"results", rows}};
  auto m = cost_model::parse(bench.dump(), "bench.json");
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  expect_coefficients(m->coefficients(), kTruth);
}

TEST(CostModel, UnitCostsTheSameWhateverTheBatch) {
  const cost_model m = cost_model::unit(0.5);
  EXPECT_TRUE(m.is_unit());
  EXPECT_DOUBLE_EQ(m.step_seconds({1, 10, 9}), 0.5);
  EXPECT_DOUBLE_EQ(m.step_seconds({256, 100000, 0}), 0.5);
}

TEST(CostModel, SavedModelLoadsBack) {
  const auto path = (std::filesystem::temp_directory_path() / "binserve_cost_model_test.json").string();
  auto m = cost_model::parse(
      R"({"kind":"linear","base_s":0.001,"per_sequence_s":2e-5,"per_context_token_s":0,"per_prefill_token_s":1e-6})",
      "x");
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(m->save(path).ok());
  auto back = cost_model::load(path);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  expect_coefficients(back->coefficients(), {0.001, 2e-5, 0, 1e-6});
  std::remove(path.c_str());
}

TEST(CostModel, MalformedInputsAreErrors) {
  const auto code = [](const std::string& text) { return cost_model::parse(text, "f.json").error().code(); };
  EXPECT_EQ(code("{not json"), error_code::invalid_argument);
  EXPECT_EQ(code("[1, 2]"), error_code::invalid_argument);
  EXPECT_EQ(code(R"({"kind":"cubic"})"), error_code::invalid_argument);
  EXPECT_EQ(code(R"({"kind":"linear","base_s":1})"), error_code::invalid_argument);
  EXPECT_EQ(
      code(R"({"kind":"unit","base_s":"one","per_sequence_s":0,"per_context_token_s":0,"per_prefill_token_s":0})"),
      error_code::invalid_argument);
  EXPECT_EQ(code(R"({"results":[]})"), error_code::invalid_argument);
  EXPECT_EQ(code(R"({"context":128,"results":[{"batch":1}]})"), error_code::invalid_argument);
  EXPECT_EQ(code(R"({"results":[{"batch":1,"step_ms":1},{"batch":2,"step_ms":2}]})"),
            error_code::invalid_argument);  // no context anywhere
  EXPECT_EQ(code(R"({"context":128,"results":[{"batch":1,"step_ms":1}]})"),
            error_code::invalid_argument);  // one sample cannot fit a line
  const auto message = cost_model::parse(R"({"context":8,"results":[{"batch":1}]})", "f.json").error().message();
  EXPECT_NE(message.find("f.json"), std::string::npos);
  EXPECT_NE(message.find("step_ms"), std::string::npos);
  EXPECT_EQ(cost_model::load("/nonexistent/cost.json").error().code(), error_code::io_error);
  EXPECT_EQ(cost_model::fit({{{1, 1, 0}, -1.0}, {{2, 2, 0}, 1.0}}).error().code(), error_code::invalid_argument);
}

// A service's steps: a base per batch size that no line follows (small
// batches jump as BLAS goes parallel), plus per-token terms.
const std::map<std::int64_t, double> kBases = {{1, 4.2e-3}, {4, 9.0e-3}, {16, 10.0e-3}};
constexpr double kPerContext = 1e-6, kPerPrefill = 2e-5;

double table_truth(const step_shape& s) {
  return kBases.at(s.live) + kPerContext * s.context_tokens + kPerPrefill * s.prefill_tokens;
}

std::vector<cost_sample> table_samples(double noise) {
  std::vector<cost_sample> out;
  int k = 0;
  for (const auto& [live, base] : kBases)
    for (int context : {8, 100, 300})
      for (int prefill : {0, 0, 0, 7}) {
        const step_shape s{live, live * context, live * prefill};
        const double wobble = noise * ((k++ % 5) - 2);  // deterministic, mean 0 over 5
        out.push_back({s, table_truth(s) * (1 + wobble)});
      }
  return out;
}

TEST(CostModel, TableFitRecoversEachBatchSizesBaseAndTheTokenTerms) {
  auto m = cost_model::fit_table(table_samples(0));
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  ASSERT_EQ(m->base_by_live().size(), kBases.size());
  for (const auto& [live, base] : kBases) EXPECT_NEAR(m->base_by_live().at(live), base, 1e-9) << live;
  EXPECT_NEAR(m->coefficients().per_context_token, kPerContext, 1e-12);
  EXPECT_NEAR(m->coefficients().per_prefill_token, kPerPrefill, 1e-11);
  // Between measured sizes: linear; beyond them: along the nearest two.
  EXPECT_NEAR(m->step_seconds({2, 0, 0}), 4.2e-3 + (9.0e-3 - 4.2e-3) / 3, 1e-9);
  EXPECT_NEAR(m->step_seconds({32, 0, 0}), 10.0e-3 + (10.0e-3 - 9.0e-3) / 12 * 16, 1e-9);
  EXPECT_NEAR(m->step_seconds({4, 400, 0}), 9.0e-3 + 400 * kPerContext, 1e-9);
  EXPECT_FALSE(m->is_unit());
}

// Ordinary least squares with the bases as a broken line: the fitted steps
// add up to the measured time, so a trace's total is kept even when single
// steps are noisy and the batch sizes fall between knots.
TEST(CostModel, TableFitKeepsTheMeasuredTotal) {
  auto samples = table_samples(0.2);
  for (std::int64_t live : {3, 12, 40})  // between knots, and a largest size that is not a power of 2
    samples.push_back({{live, live * 50, 0}, 0.008 + 0.0001 * double(live) + kPerContext * double(live * 50)});
  auto m = cost_model::fit_table(samples);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  double measured = 0, fitted = 0;
  for (const cost_sample& s : samples) {
    measured += s.seconds;
    fitted += m->step_seconds(s.shape);
  }
  EXPECT_NEAR(fitted, measured, 1e-9 * measured);
  // Knots: the powers of 2 with measured sizes around them, and the largest.
  std::vector<std::int64_t> knots;
  for (const auto& [live, base] : m->base_by_live()) knots.push_back(live);
  EXPECT_EQ(knots, (std::vector<std::int64_t>{1, 2, 4, 8, 16, 40}));  // none between 16 and 40 for 32
}

TEST(CostModel, AStepTraceFitsATableThatSavesAndLoadsBack) {
  std::string trace;
  for (const cost_sample& s : table_samples(0))
    trace += nlohmann::json{{"executor", 0},
                            {"live", s.shape.live},
                            {"context", s.shape.context_tokens},
                            {"prefill", s.shape.prefill_tokens},
                            {"seconds", s.seconds}}
                 .dump() +
             "\n";
  auto m = cost_model::parse(trace, "trace.jsonl");
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  ASSERT_EQ(m->base_by_live().size(), kBases.size());
  auto back = cost_model::parse(m->to_json(), "saved.json");
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  for (const step_shape& s : {step_shape{1, 8, 0}, step_shape{3, 90, 12}, step_shape{40, 4000, 0}})
    EXPECT_DOUBLE_EQ(back->step_seconds(s), m->step_seconds(s));
  const auto code = [](const std::string& text) { return cost_model::parse(text, "f.json").error().code(); };
  EXPECT_EQ(code(R"({"kind":"table","base_s":{"0":1},"per_context_token_s":0,"per_prefill_token_s":0})"),
            error_code::invalid_argument);
  EXPECT_EQ(code(R"({"kind":"table","base_s":{},"per_context_token_s":0,"per_prefill_token_s":0})"),
            error_code::invalid_argument);
  const auto bad_line = cost_model::parse(trace + "{\"live\":1}\n", "trace.jsonl");
  ASSERT_FALSE(bad_line.ok());
  EXPECT_NE(bad_line.error().message().find("trace.jsonl:" + std::to_string(table_samples(0).size() + 1)),
            std::string::npos)
      << bad_line.error().message();
  EXPECT_EQ(cost_model::fit_table({{{0, 0, 0}, 0.1}}).error().code(), error_code::invalid_argument);
}

}  // namespace
}  // namespace binserve::sim
