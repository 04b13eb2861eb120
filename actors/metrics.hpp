// The service's counters and latency distributions: plain data the stats
// actor owns and updates from events, and renders as a `stats` snapshot.
// Pure (no CAF), so the simulator reports the same metrics from the same code.
//
// Not thread-safe: one owner (the stats actor, or the simulator).
#pragma once

#include <cstdint>
#include <vector>

#include "binserve/stats.hpp"

namespace binserve {

// A distribution of non-negative values (milliseconds) in bounded memory:
// log-linear buckets with relative error below 1% for values in
// [0.001, 1e7]; smaller values count as 0, larger ones as 1e7.
class latency_histogram {
 public:
  void add(double value);
  std::int64_t count() const { return count_; }
  double mean() const;
  // The value below which a fraction `q` (0..1) of the values lie. 0 when empty.
  double quantile(double q) const;
  latency_summary summary() const;

 private:
  std::vector<std::int64_t> buckets_;  // grown on demand
  std::int64_t count_ = 0;
  double sum_ = 0;
};

// One request's end.
struct request_record {
  bool ok = false;  // a result (true) or an error (false)
  bool cancelled = false, timed_out = false;
  std::int64_t generated_tokens = 0;
  double total_ms = 0, first_token_ms = -1, queue_ms = -1;  // -1: never reached
};

// One batch's (or, for continuous batching, one step's) work.
struct batch_record {
  int bin = 0;
  int size = 0;                     // sequences it started with
  std::int64_t computed_slots = 0;  // size x steps (static), live sequences (continuous)
  int node = 0;                     // the executor's node (node_summary::node)
};

class metrics {
 public:
  // `bins`: the layout to report per bin (lo, hi, batch_size, cap set by the
  // caller; the counters are filled by the events below).
  explicit metrics(std::vector<bin_summary> bins);

  void on_submitted() { ++s_.submitted; }
  void on_rejected() { ++s_.rejected; }
  void on_retry() { ++s_.retries; }
  void on_request(const request_record& r);
  void on_batch(const batch_record& b);
  void set_queue_depth(int bin, int depth);
  void on_requeue() { ++s_.requeued; }
  void on_preemptions(std::int64_t preemptions, std::int64_t recomputed_tokens) {
    s_.preemptions += preemptions;
    s_.recomputed_tokens += recomputed_tokens;
  }
  // Node `node` is `name`, with `executors` in use; `problem`: why it is not connected.
  void set_node(int node, const std::string& name, bool connected, int executors, const std::string& problem);
  void on_executor_lost(int node);

  // The snapshot `elapsed_s` seconds after the start: rates, ratios,
  // latency summaries and per-bin figures filled in.
  stats snapshot(double elapsed_s) const;

 private:
  stats s_;
  std::vector<std::int64_t> batch_sizes_;  // per bin: sum of sizes
  latency_histogram latency_, first_token_, queue_, tpot_;
  node_summary& node(int n);  // grown on demand
};

}  // namespace binserve
