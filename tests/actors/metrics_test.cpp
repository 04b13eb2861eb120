#include "actors/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace binserve {
namespace {

// The ceil(q * n)-th smallest value, as the histogram defines a quantile.
double exact_quantile(const std::vector<double>& sorted, double q) {
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

void expect_quantiles_within_one_percent(std::vector<double> values) {
  latency_histogram h;
  for (double v : values) h.add(v);
  std::sort(values.begin(), values.end());
  for (double q : {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0}) {
    const double want = exact_quantile(values, q);
    EXPECT_NEAR(h.quantile(q), want, want * 0.01) << "q=" << q;
  }
}

request_record ok_request(double total_ms, std::int64_t tokens) {
  request_record r;
  r.ok = true;
  r.total_ms = total_ms;
  r.generated_tokens = tokens;
  return r;
}

std::vector<bin_summary> two_bins() {
  bin_summary a;
  a.bin = 0;
  a.lo = 0;
  a.hi = 128;
  a.batch_size = 8;
  a.cap = 128;
  bin_summary b = a;
  b.bin = 1;
  b.lo = 128;
  b.hi = 512;
  b.cap = 512;
  return {a, b};
}

TEST(LatencyHistogram, QuantilesOfUniformSamplesWithinOnePercent) {
  std::mt19937 rng(12345);
  std::uniform_real_distribution<double> dist(0.0, 1000.0);
  std::vector<double> values(100000);
  for (double& v : values) v = dist(rng);
  expect_quantiles_within_one_percent(values);
}

TEST(LatencyHistogram, QuantilesOfExponentialSamplesWithinOnePercent) {
  std::mt19937 rng(6789);
  std::exponential_distribution<double> dist(1.0 / 250.0);  // mean 250 ms
  std::vector<double> values(100000);
  for (double& v : values) v = dist(rng);
  expect_quantiles_within_one_percent(values);
}

TEST(LatencyHistogram, SingleValuesAcrossTheRangeStayWithinOnePercent) {
  for (double v = 0.001; v <= 1e7; v *= 1.37) {
    latency_histogram h;
    h.add(v);
    EXPECT_NEAR(h.quantile(0.5), v, v * 0.01) << "v=" << v;
  }
}

TEST(LatencyHistogram, EmptyHistogramReportsZeros) {
  const latency_histogram h;
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.mean(), 0);
  EXPECT_EQ(h.quantile(0.5), 0);
  const latency_summary s = h.summary();
  EXPECT_EQ(s.mean, 0);
  EXPECT_EQ(s.p50, 0);
  EXPECT_EQ(s.p90, 0);
  EXPECT_EQ(s.p99, 0);
}

TEST(LatencyHistogram, MeanIsExact) {
  latency_histogram h;
  for (double v : {1.5, 2.25, 10.0, 1000.125}) h.add(v);
  EXPECT_EQ(h.count(), 4);
  EXPECT_DOUBLE_EQ(h.mean(), (1.5 + 2.25 + 10.0 + 1000.125) / 4);
}

TEST(LatencyHistogram, TinyValuesCountAsZero) {
  latency_histogram h;
  h.add(0.0005);
  h.add(0);
  EXPECT_EQ(h.count(), 2);
  EXPECT_EQ(h.quantile(1.0), 0);
}

TEST(LatencyHistogram, HugeValuesClampToTheMaximum) {
  latency_histogram h;
  h.add(1e12);
  h.add(std::numeric_limits<double>::infinity());
  EXPECT_NEAR(h.quantile(1.0), 1e7, 1e7 * 0.01);
  EXPECT_DOUBLE_EQ(h.mean(), 1e7);
}

TEST(LatencyHistogram, NegativeAndNaNValuesCountAsZero) {
  latency_histogram h;
  h.add(-5);
  h.add(std::numeric_limits<double>::quiet_NaN());
  h.add(-std::numeric_limits<double>::infinity());
  EXPECT_EQ(h.count(), 3);
  EXPECT_EQ(h.mean(), 0);
  EXPECT_EQ(h.quantile(1.0), 0);
}

TEST(LatencyHistogram, QuantileClampsItsFractionToZeroAndOne) {
  latency_histogram h;
  h.add(1);
  h.add(100);
  EXPECT_EQ(h.quantile(-3), h.quantile(0));
  EXPECT_EQ(h.quantile(7), h.quantile(1));
  EXPECT_EQ(h.quantile(std::numeric_limits<double>::quiet_NaN()), h.quantile(0));
  EXPECT_NEAR(h.quantile(0), 1, 0.01);
  EXPECT_NEAR(h.quantile(1), 100, 1);
}

TEST(LatencyHistogram, SummaryReportsMeanAndPercentiles) {
  latency_histogram h;
  for (int i = 1; i <= 100; ++i) h.add(i);
  const latency_summary s = h.summary();
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
  EXPECT_NEAR(s.p50, 50, 0.5);
  EXPECT_NEAR(s.p90, 90, 0.9);
  EXPECT_NEAR(s.p99, 99, 0.99);
}

TEST(Metrics, CountsSubmittedRejectedRetriesAndCompletedRequests) {
  metrics m(two_bins());
  m.on_submitted();
  m.on_submitted();
  m.on_submitted();
  m.on_rejected();
  m.on_retry();
  m.on_request(ok_request(10, 5));
  m.on_request(ok_request(20, 7));
  const stats s = m.snapshot(2);
  EXPECT_EQ(s.submitted, 3);
  EXPECT_EQ(s.rejected, 1);
  EXPECT_EQ(s.retries, 1);
  EXPECT_EQ(s.completed, 2);
  EXPECT_EQ(s.failed, 0);
  EXPECT_EQ(s.generated_tokens, 12);
  EXPECT_DOUBLE_EQ(s.failure_ratio, 0.5);
}

TEST(Metrics, FailedRequestsCountCancelledAndTimedOutToo) {
  metrics m(two_bins());
  request_record plain;
  request_record cancelled;
  cancelled.cancelled = true;
  request_record timed_out;
  timed_out.timed_out = true;
  timed_out.generated_tokens = 99;  // an error's tokens are not results
  for (const auto& r : {plain, cancelled, timed_out}) m.on_request(r);
  const stats s = m.snapshot(1);
  EXPECT_EQ(s.failed, 3);
  EXPECT_EQ(s.cancelled, 1);
  EXPECT_EQ(s.timed_out, 1);
  EXPECT_EQ(s.completed, 0);
  EXPECT_EQ(s.generated_tokens, 0);
  EXPECT_EQ(s.latency.mean, 0);
}

TEST(Metrics, SnapshotComputesRatesAndTokenRatio) {
  metrics m(two_bins());
  for (int i = 0; i < 4; ++i) m.on_request(ok_request(10, 25));
  m.on_batch(batch_record{0, 4, 200});
  const stats s = m.snapshot(2);
  EXPECT_DOUBLE_EQ(s.elapsed_s, 2);
  EXPECT_DOUBLE_EQ(s.requests_per_s, 2);
  EXPECT_DOUBLE_EQ(s.tokens_per_s, 50);
  EXPECT_EQ(s.computed_slots, 200);
  EXPECT_DOUBLE_EQ(s.effective_token_ratio, 0.5);
}

TEST(Metrics, RatesAndRatiosAreZeroWithoutElapsedTimeOrWork) {
  metrics m(two_bins());
  m.on_retry();
  const stats idle = m.snapshot(5);
  EXPECT_EQ(idle.effective_token_ratio, 0);
  EXPECT_EQ(idle.failure_ratio, 0);
  m.on_request(ok_request(10, 25));
  for (double elapsed : {0.0, -1.0}) {
    const stats s = m.snapshot(elapsed);
    EXPECT_EQ(s.requests_per_s, 0);
    EXPECT_EQ(s.tokens_per_s, 0);
  }
}

TEST(Metrics, SnapshotSummarisesLatencyFirstTokenAndQueueTimes) {
  metrics m(two_bins());
  request_record a = ok_request(100, 1);
  a.first_token_ms = 20;
  a.queue_ms = 5;
  request_record b = ok_request(300, 1);  // never reached first token or queue
  m.on_request(a);
  m.on_request(b);
  const stats s = m.snapshot(1);
  EXPECT_DOUBLE_EQ(s.latency.mean, 200);
  EXPECT_NEAR(s.latency.p50, 100, 1);
  EXPECT_NEAR(s.latency.p99, 300, 3);
  EXPECT_DOUBLE_EQ(s.first_token.mean, 20);
  EXPECT_NEAR(s.first_token.p90, 20, 0.2);
  EXPECT_DOUBLE_EQ(s.queue.mean, 5);
  EXPECT_NEAR(s.queue.p50, 5, 0.05);
}

// TPOT by hand: a (100 - 20) / (5 - 1) = 20, b (70 - 10) / (3 - 1) = 30;
// c has one token and d never reached its first, so neither counts.
TEST(Metrics, TimePerOutputTokenAveragesRequestsOfAtLeastTwoTokens) {
  metrics m(two_bins());
  request_record a = ok_request(100, 5);
  a.first_token_ms = 20;
  request_record b = ok_request(70, 3);
  b.first_token_ms = 10;
  request_record c = ok_request(50, 1);
  c.first_token_ms = 10;
  const request_record d = ok_request(40, 2);
  for (const request_record& r : {a, b, c, d}) m.on_request(r);
  const stats s = m.snapshot(1);
  EXPECT_EQ(s.tpot.count, 2);
  EXPECT_DOUBLE_EQ(s.tpot.mean, 25);
  EXPECT_NEAR(s.tpot.p99, 30, 0.3);
  EXPECT_DOUBLE_EQ(s.latency.mean, 65);            // (100 + 70 + 50 + 40) / 4
  EXPECT_DOUBLE_EQ(s.first_token.mean, 40.0 / 3);  // (20 + 10 + 10) / 3
}

TEST(Metrics, PerBinFiguresKeepTheLayoutAndMeanBatchSizes) {
  metrics m(two_bins());
  m.on_batch(batch_record{1, 8, 800});
  m.on_batch(batch_record{1, 5, 500});
  m.set_queue_depth(1, 7);
  const stats s = m.snapshot(1);
  ASSERT_EQ(s.bins.size(), 2u);
  EXPECT_EQ(s.bins[1].lo, 128);
  EXPECT_EQ(s.bins[1].hi, 512);
  EXPECT_EQ(s.bins[1].batch_size, 8);
  EXPECT_EQ(s.bins[1].cap, 512);
  EXPECT_EQ(s.bins[1].batches, 2);
  EXPECT_DOUBLE_EQ(s.bins[1].mean_batch_size, 6.5);
  EXPECT_EQ(s.bins[1].queue_depth, 7);
  EXPECT_EQ(s.bins[0].batches, 0);
  EXPECT_EQ(s.bins[0].mean_batch_size, 0);
  EXPECT_EQ(s.bins[0].queue_depth, 0);
}

TEST(Metrics, OutOfRangeBinsOnlyCountTheirSlots) {
  metrics m(two_bins());
  m.on_batch(batch_record{2, 4, 40});
  m.on_batch(batch_record{-1, 4, 60});
  m.set_queue_depth(2, 9);
  m.set_queue_depth(-1, 9);
  const stats s = m.snapshot(1);
  EXPECT_EQ(s.computed_slots, 100);
  for (const bin_summary& b : s.bins) {
    EXPECT_EQ(b.batches, 0);
    EXPECT_EQ(b.mean_batch_size, 0);
    EXPECT_EQ(b.queue_depth, 0);
  }
}

TEST(Metrics, EmptyLayoutStillCountsEverything) {
  metrics m({});
  m.on_batch(batch_record{0, 3, 30});
  m.set_queue_depth(0, 1);
  m.on_request(ok_request(10, 15));
  const stats s = m.snapshot(1);
  EXPECT_TRUE(s.bins.empty());
  EXPECT_EQ(s.computed_slots, 30);
  EXPECT_DOUBLE_EQ(s.effective_token_ratio, 0.5);
}

}  // namespace
}  // namespace binserve
