#include "actors/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <utility>

namespace binserve {
namespace {

// Bucket 0 holds everything below kMinValue; above it, each power of two
// (in units of kMinValue) splits into kSubBuckets linear buckets. A bucket's
// width is at most 1/128 of its lower bound, so its midpoint is within 0.4%
// of any value in it. 1e7 / 0.001 < 2^34 bounds the count near 4400 buckets.
constexpr double kMinValue = 0.001;
constexpr double kMaxValue = 1e7;
constexpr int kSubBuckets = 128;

// NaN fails every comparison, so `!(v > 0)` folds it in with the negatives.
double sanitize(double value) {
  if (!(value > 0)) return 0;
  return value > kMaxValue ? kMaxValue : value;
}

std::size_t bucket_of(double value) {
  const double units = value / kMinValue;
  if (!(units >= 1)) return 0;
  int exponent = 0;
  const double mantissa = std::frexp(units, &exponent);  // [0.5, 1)
  // Scaling by a power of two is exact, so the floor never reaches 128.
  const auto sub = static_cast<int>((2 * mantissa - 1) * kSubBuckets);
  return 1 + static_cast<std::size_t>((exponent - 1) * kSubBuckets + sub);
}

double bucket_midpoint(std::size_t index) {
  if (index == 0) return 0;
  const auto exponent = static_cast<int>((index - 1) / kSubBuckets);
  const auto sub = static_cast<double>((index - 1) % kSubBuckets);
  const double lo = std::ldexp(1 + sub / kSubBuckets, exponent);
  const double hi = std::ldexp(1 + (sub + 1) / kSubBuckets, exponent);
  return (lo + hi) / 2 * kMinValue;
}

double ratio(double num, double den) { return den > 0 ? num / den : 0; }

// Events may name bins outside the layout; they map to `n`, "no bin".
std::size_t bin_index(int bin, std::size_t n) {
  if (bin < 0) return n;
  const auto i = static_cast<std::size_t>(bin);
  return i < n ? i : n;
}

}  // namespace

void latency_histogram::add(double value) {
  const double v = sanitize(value);
  const std::size_t index = bucket_of(v);
  if (index >= buckets_.size()) buckets_.resize(index + 1, 0);
  ++buckets_[index];
  ++count_;
  sum_ += v;
}

double latency_histogram::mean() const { return ratio(sum_, static_cast<double>(count_)); }

double latency_histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  if (!(q > 0)) q = 0;
  if (q > 1) q = 1;
  // The rank of the value wanted, 1-based: ceil(q * count), at least 1.
  auto rank = static_cast<std::int64_t>(std::ceil(q * static_cast<double>(count_)));
  if (rank < 1) rank = 1;
  if (rank > count_) rank = count_;
  // rank <= count_, the sum of all buckets, so the walk stops inside them.
  std::size_t i = 0;
  for (std::int64_t seen = buckets_[0]; seen < rank; seen += buckets_[++i]) {
  }
  return bucket_midpoint(i);
}

latency_summary latency_histogram::summary() const {
  return latency_summary{mean(), quantile(0.5), quantile(0.9), quantile(0.99), count_, sum_};
}

metrics::metrics(std::vector<bin_summary> bins) : batch_sizes_(bins.size(), 0) { s_.bins = std::move(bins); }

void metrics::on_request(const request_record& r) {
  if (!r.ok) {
    ++s_.failed;
    if (r.cancelled) ++s_.cancelled;
    if (r.timed_out) ++s_.timed_out;
    return;
  }
  ++s_.completed;
  s_.generated_tokens += r.generated_tokens;
  latency_.add(r.total_ms);
  if (r.first_token_ms >= 0) first_token_.add(r.first_token_ms);
  if (r.first_token_ms >= 0 && r.generated_tokens >= 2)
    tpot_.add((r.total_ms - r.first_token_ms) / static_cast<double>(r.generated_tokens - 1));
  if (r.queue_ms >= 0) queue_.add(r.queue_ms);
}

void metrics::on_batch(const batch_record& b) {
  s_.computed_slots += b.computed_slots;
  node_summary& n = node(b.node);
  ++n.batches;
  n.computed_slots += b.computed_slots;
  const std::size_t i = bin_index(b.bin, s_.bins.size());
  if (i == s_.bins.size()) return;
  ++s_.bins[i].batches;
  batch_sizes_[i] += b.size;
}

void metrics::set_queue_depth(int bin, int depth) {
  const std::size_t i = bin_index(bin, s_.bins.size());
  if (i == s_.bins.size()) return;
  s_.bins[i].queue_depth = depth;
}

node_summary& metrics::node(int n) {
  n = std::max(n, 0);
  while (static_cast<int>(s_.nodes.size()) <= n) {
    node_summary added;
    added.node = static_cast<int>(s_.nodes.size());
    added.name = added.node == 0 ? "local" : "node" + std::to_string(added.node);
    s_.nodes.push_back(std::move(added));
  }
  return s_.nodes[n];
}

void metrics::set_node(int n, const std::string& name, bool connected, int executors, const std::string& problem) {
  node_summary& x = node(n);
  x.problem = problem;
  x.name = name;
  x.connected = connected;
  x.executors = executors;
}

void metrics::on_executor_lost(int n) {
  ++s_.executor_failures;
  ++node(n).executor_failures;
}

stats metrics::snapshot(double elapsed_s) const {
  stats out = s_;
  const auto completed = static_cast<double>(s_.completed);
  const auto tokens = static_cast<double>(s_.generated_tokens);
  out.elapsed_s = elapsed_s;
  out.requests_per_s = ratio(completed, elapsed_s);
  out.tokens_per_s = ratio(tokens, elapsed_s);
  out.effective_token_ratio = ratio(tokens, static_cast<double>(s_.computed_slots));
  out.failure_ratio = ratio(static_cast<double>(s_.retries), completed);
  out.latency = latency_.summary();
  out.first_token = first_token_.summary();
  out.queue = queue_.summary();
  out.tpot = tpot_.summary();
  for (std::size_t i = 0; i < out.bins.size(); ++i) {
    out.bins[i].mean_batch_size = ratio(static_cast<double>(batch_sizes_[i]), static_cast<double>(out.bins[i].batches));
  }
  return out;
}

}  // namespace binserve
