// binserve: the service's metrics, as read through service::stats().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace binserve {

struct latency_summary {
  double mean = 0, p50 = 0, p90 = 0, p99 = 0;  // milliseconds
  std::int64_t count = 0;                      // observations
  double sum = 0;                              // of all observations, milliseconds
};

struct bin_summary {
  int bin = 0;
  int lo = 0, hi = 0;        // predicted lengths [lo, hi) it holds (not for the retry bin)
  bool retry = false;        // the retry bin: overflowed jobs, whatever their prediction
  int batch_size = 0;        // its batch threshold
  int cap = 0;               // its batches' length cap
  int queue_depth = 0;       // requests waiting in it now
  std::int64_t batches = 0;  // batches it emitted
  double mean_batch_size = 0;
};

// One node's executors: this process ("local", node 0) or a worker node.
struct node_summary {
  int node = 0;
  std::string name;          // "local" or HOST:PORT
  bool connected = false;    // its executors are in use now
  int executors = 0;         // in use now
  std::int64_t batches = 0;  // static batches (continuous: steps) it ran
  std::int64_t computed_slots = 0;
  std::int64_t executor_failures = 0;  // executors that died (fault or lost link)
  std::string problem;                 // why it is not connected (a refusal names both sides); "" when fine
};

struct stats {
  std::int64_t submitted = 0, completed = 0, failed = 0;  // failed: any final error
  std::int64_t rejected = 0, cancelled = 0, timed_out = 0;
  std::int64_t retries = 0;           // batch-cap overflows sent back as retry jobs
  std::int64_t generated_tokens = 0;  // in final results
  std::int64_t computed_slots = 0;    // batch size x steps, summed over batches
  double elapsed_s = 0;               // since the service started
  double requests_per_s = 0, tokens_per_s = 0;
  double effective_token_ratio = 0;  // generated_tokens / computed_slots
  double failure_ratio = 0;          // retries / completed
  latency_summary latency, first_token, queue;
  // Time per output token after the first, per request: (total - first
  // token) / (generated tokens - 1), over completed requests of >= 2 tokens.
  latency_summary tpot;
  std::vector<bin_summary> bins;
  std::int64_t requeued = 0;           // jobs run again because their executor died
  std::int64_t executor_failures = 0;  // executors that died, all nodes
  // Continuous policies (sched/core.hpp): sequences preempted (by policy or
  // for KV memory), and prompt and generated tokens prefilled again after
  // their KV cache was dropped.
  std::int64_t preemptions = 0, recomputed_tokens = 0;
  std::vector<node_summary> nodes;
};

}  // namespace binserve
