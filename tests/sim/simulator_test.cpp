// The simulator against hand-computed schedules and the Multi-Bin Batching
// closed form.
#include "sim/simulator.hpp"

#include <numeric>
#include <random>

#include <gtest/gtest.h>

#include "sim/max_rate.hpp"
#include "sim/static_batch.hpp"
#include "tests/policy_named.hpp"

namespace binserve::sim {
namespace {

tools::workload offline(const std::vector<int>& lengths) {
  tools::workload w;
  for (size_t i = 0; i < lengths.size(); ++i) w.requests.push_back({"r" + std::to_string(i), {1, 2, 3}, lengths[i]});
  w.arrival_s.assign(lengths.size(), 0.0);
  return w;
}

sim_config config(const std::string& kind, int batch, int max_new_tokens) {
  sim_config c;
  c.policy.kind = testing::policy_named(kind);
  c.policy.batch_size = batch;
  c.policy.max_batch_size = std::max(batch, 4);
  c.policy.max_wait = std::chrono::milliseconds(0);
  c.max_new_tokens = max_new_tokens;
  return c;
}

sim_result run(const sim_config& c, const tools::workload& w, const cost_model& cost = cost_model::unit()) {
  auto r = simulate(c, cost, w);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? *r : sim_result{};
}

// E[t_k] for uniform service times on [lo, hi], batch B (Guldogan et al.).
double closed_form(double lo, double hi, int batch, int k) {
  return (lo + hi) / 2 + (hi - lo) * (batch - 1) / (2.0 * k * (batch + 1));
}

TEST(Simulator, UniformThroughputRatiosMatchTheClosedForm) {
  // Lengths 1..20 on a 1/100 grid. Each bin's last batch is partial and
  // costs nearly a full one, which the closed form (infinitely many requests)
  // leaves out: at least 128 batches per bin keep that below 1%.
  constexpr int kRes = 100, kBatch = 32;
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> length(1 * kRes, 20 * kRes);
  std::vector<int> lengths(8 * 128 * kBatch);
  for (int& l : lengths) l = length(rng);
  const auto w = offline(lengths);
  sim_config c = config("multibin", kBatch, 20 * kRes);
  c.policy.length_sample = lengths;
  std::vector<double> throughput;
  for (int k : {1, 2, 4, 8}) {
    c.policy.bins = k;
    throughput.push_back(run(c, w, cost_model::unit(1.0 / kRes)).snapshot.requests_per_s);
  }
  for (int i = 1; i < 4; ++i) {
    const int k = 1 << i;
    const double expected = closed_form(1, 20, kBatch, 1) / closed_form(1, 20, kBatch, k);
    EXPECT_NEAR(throughput[i] / throughput[0], expected, 0.02 * expected) << "k = " << k;
  }
}

TEST(Simulator, VanillaBatchTakesItsLongestMemberWithUnitCost) {
  const auto r = run(config("vanilla", 3, 16), offline({3, 7, 5}));
  EXPECT_DOUBLE_EQ(r.snapshot.elapsed_s, 7.0);
  EXPECT_EQ(r.snapshot.computed_slots, 3 * 7);
  EXPECT_NEAR(r.snapshot.effective_token_ratio, 15.0 / 21.0, 1e-12);
  EXPECT_NEAR(r.snapshot.first_token.p50, 1000.0, 10.0);  // the first step ends at 1 s
}

// Bin [0, 4) with cap 4 takes every request (all predicted 2); 6 and 10
// overflow at step 4 and rerun in the retry bin (see the test for times).
// 6 expires in the retry bin at 4 while the executor is busy, so nothing is
// emitted then; the executor frees at 8, when 10 has joined 6, and pulls
// both as one batch.
sim_config fcr(const std::string& retry) {
  sim_config c = config("sequence", 2, 12);
  c.policy.bin_width = 4;
  c.policy.variable_batch = false;
  c.policy.retry = from_name<retry_mode>(retry).value();
  c.predictor.kind = "fixed";
  c.predictor.fixed_length = 2;
  return c;
}

TEST(Simulator, FailureRecomputationRestartsOverflowedRequests) {
  // [2,6] 0..4, [3,10] 4..8, [6,10] 8..18.
  const auto r = run(fcr("restart"), offline({2, 6, 3, 10}));
  EXPECT_EQ(r.snapshot.retries, 2);
  EXPECT_DOUBLE_EQ(r.snapshot.failure_ratio, 0.5);
  EXPECT_EQ(r.snapshot.computed_slots, 8 + 8 + 2 * 10);
  EXPECT_DOUBLE_EQ(r.snapshot.elapsed_s, 18.0);
  EXPECT_EQ(r.snapshot.generated_tokens, 21);
}

TEST(Simulator, ResumeKeepsTheTokensOfTheOverflowedRun) {
  // [2,6] 0..4, [3,10] 4..8, [6,10] resuming at 4: 8..14 (2 and 6 more steps).
  const auto r = run(fcr("resume"), offline({2, 6, 3, 10}));
  EXPECT_EQ(r.snapshot.retries, 2);
  EXPECT_EQ(r.snapshot.computed_slots, 8 + 8 + 2 * 6);
  EXPECT_DOUBLE_EQ(r.snapshot.elapsed_s, 14.0);
}

TEST(Simulator, RebinMovesAnOverflowUpToTheBinOfItsRefreshedPrediction) {
  // One request of 15 predicted 2, bins of 4 up to 32, batch 1: caps 4, then
  // 12 (2 doubled past 4 is 8, in [8, 12)), then 20 (16, in [16, 20)).
  sim_config c = fcr("resume");
  c.max_new_tokens = 32;
  c.policy.batch_size = 1;
  c.policy.max_batch_size = 1;
  c.policy.rebin = true;
  const auto resumed = run(c, offline({15}));
  EXPECT_EQ(resumed.snapshot.retries, 2);
  EXPECT_EQ(resumed.snapshot.computed_slots, 4 + 8 + 3);
  c.policy.retry = retry_mode::restart;
  const auto restarted = run(c, offline({15}));
  EXPECT_EQ(restarted.snapshot.retries, 2);
  EXPECT_EQ(restarted.snapshot.computed_slots, 4 + 12 + 15);
  c.policy.rebin = false;  // the retry bin: one overflow, then to the end
  EXPECT_EQ(run(c, offline({15})).snapshot.retries, 1);
}

TEST(Simulator, ContinuousAdmissionRefillsFreedSlotsAtOnce) {
  sim_config c = config("continuous", 2, 16);
  c.policy.max_batch_size = 2;
  // 0 and 1 start; 0 ends at 1 and 2 joins; 2 ends at 2 and 3 joins; 1 and 3 end at 3.
  const auto r = run(c, offline({1, 3, 1, 1}));
  EXPECT_DOUBLE_EQ(r.snapshot.elapsed_s, 3.0);
  EXPECT_EQ(r.snapshot.computed_slots, 6);
  EXPECT_DOUBLE_EQ(r.snapshot.effective_token_ratio, 1.0);
}

TEST(Simulator, ShortestJobFirstAdmitsShortPredictionsFirst) {
  sim_config c = config("continuous", 1, 16);
  c.policy.max_batch_size = 1;
  const auto w = offline({2, 10, 1, 3});  // all four arrive together, one runs at a time
  const auto fcfs = run(c, w);
  c.policy.kind = policy_kind::continuous_sjf;
  const auto sjf = run(c, w);
  EXPECT_NEAR(fcfs.snapshot.latency.mean, 1000.0 * (2 + 12 + 13 + 16) / 4, 50.0);
  EXPECT_NEAR(sjf.snapshot.latency.mean, 1000.0 * (1 + 3 + 6 + 16) / 4, 50.0);
}

TEST(Simulator, ExecutorsRunBatchesInParallel) {
  sim_config c = config("vanilla", 1, 16);
  c.executors = 2;
  EXPECT_DOUBLE_EQ(run(c, offline({5, 5, 5, 5})).snapshot.elapsed_s, 10.0);
  c.executors = 1;
  EXPECT_DOUBLE_EQ(run(c, offline({5, 5, 5, 5})).snapshot.elapsed_s, 20.0);
}

tools::workload poisson(int n, double rate, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> length(1, 64);
  std::exponential_distribution<double> gap(rate);
  std::vector<int> lengths(n);
  for (int& l : lengths) l = length(rng);
  tools::workload w = offline(lengths);
  for (int i = 1; i < n; ++i) w.arrival_s[i] = w.arrival_s[i - 1] + gap(rng);
  return w;
}

TEST(Simulator, EveryRequestEndsExactlyOnceWithRetries) {
  const auto w = poisson(3000, 20.0, 3);
  std::int64_t tokens = 0;
  for (const auto& e : w.requests) tokens += e.length;
  for (const bool rebin : {false, true}) {
    sim_config c = config("sequence", 8, 64);
    c.policy.bin_width = 8;
    c.policy.max_wait = std::chrono::milliseconds(50);
    c.policy.rebin = rebin;
    c.predictor.kind = "fixed";
    c.predictor.fixed_length = 20;
    const auto r = run(c, w, cost_model::unit(0.01));
    EXPECT_EQ(r.snapshot.submitted, 3000) << "rebin " << rebin;
    EXPECT_EQ(r.snapshot.completed, 3000) << "rebin " << rebin;
    EXPECT_EQ(r.snapshot.failed, 0) << "rebin " << rebin;
    EXPECT_GT(r.snapshot.retries, 0) << "rebin " << rebin;
    EXPECT_EQ(r.snapshot.generated_tokens, tokens) << "rebin " << rebin;
  }
}

TEST(Simulator, SameInputsGiveTheSameResult) {
  const auto w = poisson(2000, 50.0, 11);
  sim_config c = config("multibin", 8, 64);
  c.policy.bins = 3;  // boundaries estimated online from the predictions
  c.policy.max_wait = std::chrono::milliseconds(20);
  const auto a = run(c, w, cost_model::unit(0.005)), b = run(c, w, cost_model::unit(0.005));
  EXPECT_EQ(a.snapshot.elapsed_s, b.snapshot.elapsed_s);
  EXPECT_EQ(a.snapshot.computed_slots, b.snapshot.computed_slots);
  EXPECT_EQ(a.snapshot.latency.p99, b.snapshot.latency.p99);
  EXPECT_EQ(a.snapshot.queue.p50, b.snapshot.queue.p50);
}

TEST(Simulator, RejectsBadInputs) {
  sim_config c = config("vanilla", 2, 8);
  c.executors = 0;
  EXPECT_EQ(simulate(c, cost_model::unit(), offline({1})).error().code(), error_code::invalid_argument);
  c = config("vanilla", 2, 8);
  c.policy.batch_size = 0;
  EXPECT_EQ(simulate(c, cost_model::unit(), offline({1})).error().code(), error_code::config_invalid);
  c = config("vanilla", 2, 8);
  EXPECT_EQ(simulate(c, cost_model::unit(), offline({9})).error().code(), error_code::invalid_argument);
  EXPECT_EQ(simulate(c, cost_model::unit(), tools::workload{}).error().code(), error_code::invalid_argument);
}

TEST(StaticBatch, StepsPriceTheLiveSequencesTheirContextAndPrefill) {
  auto cost = cost_model::parse(
      R"({"kind":"linear","base_s":1,"per_sequence_s":10,"per_context_token_s":100,"per_prefill_token_s":1000})",
      "test");
  ASSERT_TRUE(cost.ok());
  // Step 1: 2 live, 3 + 5 cached, 2 + 4 prefilled. Step 2: member 0 alone, 3 + 1 cached.
  const auto t = time_static_batch({{2, 3}, {1, 5}}, *cost);
  const double step1 = 1 + 20 + 800 + 6000, step2 = 1 + 10 + 400;
  EXPECT_DOUBLE_EQ(t.first_step_s, step1);
  EXPECT_DOUBLE_EQ(t.leave_s[1], step1);
  EXPECT_DOUBLE_EQ(t.leave_s[0], step1 + step2);
  EXPECT_DOUBLE_EQ(t.duration_s, step1 + step2);
  EXPECT_EQ(t.steps, 2);
}

TEST(MaxRate, FindsTheCapacityOfOneExecutor) {
  // Batches of 1, every request 4 steps of 0.01 s: capacity 25 requests/s.
  std::vector<int> lengths(4000, 4);
  tools::workload w = offline(lengths);
  std::mt19937_64 rng(5);
  std::exponential_distribution<double> gap(1.0);
  for (size_t i = 1; i < w.arrival_s.size(); ++i) w.arrival_s[i] = w.arrival_s[i - 1] + gap(rng);
  sim_config c = config("vanilla", 1, 8);
  max_rate_options o;
  o.tolerance = 0.02;
  auto r = max_sustainable_rate(c, cost_model::unit(0.01), w, o);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_GT(r->rate, 25.0 * 0.95);
  EXPECT_LT(r->rate, 25.0 / (1 - o.tolerance) * 1.03);
}

TEST(MaxRate, ShortMaxWaitDoesNotCollapseTheRateWithMoreBins) {
  // docs/reproduction.md's workload, smaller: uniform 1..20 s service times
  // on a 1/100 grid, batch 128, Poisson arrivals, bins that expire after
  // 20 s, well before they fill. Partial batches are pulled only by an idle
  // executor, so more bins never serve less than one bin (when the bins
  // pushed them, λ* fell from 6.2/s at k = 1 to 0.32/s at k = 2).
  constexpr int kRes = 100, kBatch = 128;
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<int> length(1 * kRes, 20 * kRes);
  std::exponential_distribution<double> gap(1.0);
  std::vector<int> lengths(32000);
  for (int& l : lengths) l = length(rng);
  tools::workload w = offline(lengths);
  for (size_t i = 1; i < w.arrival_s.size(); ++i) w.arrival_s[i] = w.arrival_s[i - 1] + gap(rng);
  sim_config c = config("multibin", kBatch, 20 * kRes);
  c.policy.length_sample = lengths;
  c.policy.max_wait = std::chrono::milliseconds(20000);
  std::vector<double> rate;
  for (int k : {1, 2, 4, 8, 16, 32}) {
    c.policy.bins = k;
    auto r = max_sustainable_rate(c, cost_model::unit(1.0 / kRes), w, max_rate_options{});
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    rate.push_back(r->rate);
  }
  const double one_bin = kBatch / closed_form(1, 20, kBatch, 1);  // B / E[t_1]: 6.45/s
  EXPECT_GT(rate[0], 0.95 * one_bin);
  for (size_t i = 1; i < rate.size(); ++i) EXPECT_GE(rate[i], rate[0]) << "k = " << (1 << i);
}

}  // namespace
}  // namespace binserve::sim
