// The discrete-event simulator: a workload's arrivals through the predictor,
// the bins and the executors, on simulated time, with the service's own
// rules.
//
// Shared with the actors, not copied: the predictor (make_predictor), the
// routing rule (bin_layout::route), the scheduling core (sched/: each bin's
// state, sched/bin.hpp; the binned core, sched/batch_core.hpp, which takes
// from a full bin first, oldest request first, while an executor is idle,
// and gives the batch to the executor idle longest; the continuous core,
// sched/core.hpp) and the metrics (metrics -> stats). Every request here is
// of one client, so takes and admissions are in arrival order. What the
// simulator adds is time:
//   - a bin's effects and the core's takes are delivered at once (a take's
//     answer after the bin's own messages, as in the actors' mailboxes);
//   - a static batch steps its live sequences together; one leaves when it
//     reaches its target length (done) or the batch's cap (a retry job with
//     retries + 1: restart recomputes from scratch, resume keeps its tokens),
//     and the batch's computed slots are its size x its steps;
//   - continuous policies run the scheduling core (sched/core.hpp), the
//     actors' own: its plans admit, park, evict and step each executor;
//   - every step costs cost_model::step_seconds of what it computes.
// Idealized: message latencies between actors are 0 (the runtime's CPU time
// too, unless the cost model is a table fitted to the service's step trace,
// whose steps include it), admission is immediate (the actors exchange
// credit messages), and a request always
// generates exactly its workload length (stop tokens and context limits do
// not apply). Events at the same instant: arrivals first (requests that
// arrive together are batched together), then in the order they were made.
//
// Deterministic: the same inputs give the same result. Not thread-safe; each
// call is independent.
#pragma once

#include <cstdint>
#include <functional>

#include "binserve/config.hpp"
#include "binserve/stats.hpp"
#include "binserve/status.hpp"
#include "sched/batch_core.hpp"
#include "sched/core.hpp"
#include "sim/cost_model.hpp"
#include "sim/workload.hpp"

namespace binserve::sim {

struct sim_config {
  policy_config policy;
  predictor_config predictor;  // oracle, fixed, prompt-ratio or learned (no served model here)
  int max_new_tokens = 512;    // every request's limit, and the retry bin's cap
  int executors = 1;
  int prompt_tokens = 8;       // a request's prompt length when the workload gives none
  bool known_is_hint = false;  // the predictor's known_length is the workload's hint, not the truth
  // Continuous: each executor's KV cache in blocks of kv_block_size
  // positions (0: not budgeted), as the executors announce theirs.
  std::int64_t kv_blocks = 0;
  int kv_block_size = 16;
  // Called with every plan (continuous) or batch (binned) the scheduling
  // core makes (the differential test compares them with the actors').
  std::function<void(const sched::step_plan&)> on_plan;
  std::function<void(const sched::batch_run&)> on_batch;
};

struct sim_result {
  stats snapshot;  // as `binserve-bench bench` reports it; elapsed_s = the last completion's time
  // Completions counted when the middle arrival (index N/2) and the last
  // arrival happened, and those times: how far the system kept up.
  std::int64_t completed_at_half = 0, completed_at_last = 0;
  double half_arrival_s = 0, last_arrival_s = 0;
};

// Runs `w` to the end (every request completed). Errors: config_invalid
// from the policy or the predictor (bin_layout::make, make_predictor),
// invalid_argument when executors < 1, the workload is empty, its arrival
// times are missing or decreasing, or a length is outside [1, max_new_tokens].
status_or<sim_result> simulate(const sim_config& config, const cost_model& cost, const tools::workload& w);

}  // namespace binserve::sim
