// One run of `binserve-bench bench`: a fresh service under one policy and
// predictor setting replays a workload, each request submitted at its
// arrival offset, and the run's figures come back as a row.
//
// Used by the bench command's thread only; a run blocks until every request
// has its final value.
#pragma once

#include <optional>
#include <string>

#include "bench/serving_figures.hpp"
#include "binserve/config.hpp"
#include "binserve/names.hpp"
#include "binserve/stats.hpp"
#include "binserve/status.hpp"
#include "sim/workload.hpp"

namespace binserve::tools {

// POLICY[+novbs][+nofcr][+rebin][:PREDICTOR[:QUANTILE]]: `vanilla`,
// `sequence:oracle`, `sequence:learned:0.9`, `sequence+novbs+nofcr:hint`.
// +novbs and +nofcr switch off sequence's variable batch size and its batch
// caps with recomputation; +rebin sends overflows up the bins
// (policy.rebin); the predictor `hint` is the oracle fed the workload's hint
// lengths (--hint-field) instead of the true ones; `probe` predicts the
// training lengths' median at arrival and then the bench's trained probe
// re-predicts every predictor.refresh_tokens (continuous policies).
struct run_spec {
  std::string label;
  policy_kind policy = policy_kind::vanilla;
  std::string predictor = "oracle";
  double quantile = 0.8;
  bool vbs = true, fcr = true, rebin = false;
  bool hint() const { return predictor == "hint"; }
  bool probe() const { return predictor == "probe"; }
  std::string predictor_kind() const { return hint() ? "oracle" : probe() ? "fixed" : predictor; }
};

// Errors: invalid_argument naming the run when the policy is unknown, the
// quantile is not in (0, 1) or a +option is unknown.
status_or<run_spec> parse_run(const std::string& s);

// What every run of one bench shares.
struct bench_setup {
  std::string model;
  backend_kind backend = backend_kind::cpu;
  int threads = 0;                    // per executor, 0 = every core
  data_type dtype = data_type::fp32;  // fp16/bf16: cuda
  int device = 0;                     // cuda: device ordinal
  int batch = 16;                     // B
  int max_batch = 16;                 // continuous: live sequences at once
  int cap = 512;                      // max_new_tokens of every request
  retry_mode retry = retry_mode::restart;
  kv_admission kv_reserve = kv_admission::max;            // continuous: policy.kv_admission
  int max_wait_steps = policy_config{}.max_wait_steps;    // continuous: policy.max_wait_steps
  int max_preemptions = policy_config{}.max_preemptions;  // continuous-srpt: policy.max_preemptions
  std::int64_t kv_cache_bytes = 0;                        // per executor; 0: the backend's default
  bool progress = false;                                  // draw a progress bar on stderr
  std::string step_trace{};                               // non-empty: every run's executors append their steps here
  // Dataset workloads: each request sampled with this temperature and top-p
  // and its record's seed, ending at the model's own stop tokens instead of
  // at the record's length (which the oracle still reads): the model serving
  // the answers `predictor collect` recorded. Off: each request generates
  // exactly its record's length, greedily.
  bool own_stops = false;
  float temperature = 0.0f, top_p = 1.0f;
  std::string probe_model{};  // the `probe` predictor's trained file
};

// Where a run sits in the bench's matrix.
struct run_point {
  run_spec run;
  int bins = 4;                // multibin: k
  std::string arrivals;        // the workload's arrival spec
  std::optional<double> rate;  // Poisson arrivals: requests/s offered
  int repetition = 1;          // 1-based round of --repeat
};

struct bench_row {
  run_point point;
  int bins = 0;  // length bins the run used (without the retry bin); 0: continuous
  int requests = 0, completed = 0;
  double seconds = 0;  // first submission to the last final value
  double requests_per_s = 0, tokens_per_s = 0;
  std::optional<double> ratio_to_vanilla;  // vanilla's row of the same arrivals and round
  serving_figures figures;
};

// Runs `point` on workload `w`; `title` heads the progress bar.
// Errors: those of service::start, and invalid_argument when a learned
// predictor is asked for on a workload without a training part.
status_or<bench_row> run_once(const bench_setup& setup, const run_point& point, const workload& w,
                              const std::string& title);

}  // namespace binserve::tools
