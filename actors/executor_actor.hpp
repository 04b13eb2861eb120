// An executor actor: owns one backend (a model replica; on a GPU, its CUDA
// stream) and runs batches on it, one forward per `step` message so that
// cancels and (for continuous batching) admissions interleave with steps.
// Spawned detached: its blocking compute never stalls the shared scheduler.
//
// Static batches (binned policies): a batch holds the executor until its
// last sequence ends or reaches the batch's length cap; finished sequences
// stop computing but their slots still count as computed work (that idle
// capacity is what binning removes). Sequences at the cap go back to the
// scheduler as retry jobs. While a batch runs, the executor reports its
// progress (the slots computed so far) after a step at most every
// params.progress_every_ms: the scheduler's hang deadline counts from the
// last report. A continuous executor's capacity report after each step is
// its progress.
//
// Failures: whose fault an error is decides what it takes down.
// - The request's: forward's invalid_argument, input_too_large and
//   out_of_memory are about one sequence's input (a closed sequence, a token
//   outside the vocabulary, a KV cache that cannot hold it; the backend
//   appended nothing). The step is then run again one sequence at a time:
//   a sequence the backend refuses alone fails with that error (a final
//   `failed` to the intake); the others get their token and the executor
//   goes on. open_sequence's errors fail only their request the same way.
// - The backend's: any other forward error (backend_failure, internal), any
//   error of sample (gpu/generate.hpp, sample_rows), and an exception out of
//   a step (the injected fault of params.kill_every_n_steps). The executor
//   exits at once with an error naming it ("executor I: backend_failure:
//   ..."), streaming no token of that step; whoever supervises it (the
//   scheduler, by link or monitor) re-queues its jobs through the intake,
//   which fails a job with backend_failure once it has lost
//   limits.max_executor_failures executors.
// On any exit its open sequences are closed, so a fresh executor can take
// over the backend. A step that blocks (params.stall_after_n_steps, or a
// hung backend) is caught by the scheduler's batch deadline, which kills
// the executor; the kill takes effect once the blocked step returns.
#pragma once

#include <memory>

#include "actors/messages.hpp"
#include "actors/step_trace.hpp"
#include "gpu/backend.hpp"
#include "predict/probe_predictor.hpp"

namespace binserve {

// A probe a continuous executor reads for each running sequence at its
// admission step and every refresh_tokens tokens after, from the states its
// own forward made (backend_options::state_layers must be the probe's
// layers); each step report carries the refreshed predictions (tokens made
// + predicted remaining) to the scheduling core. A step run one sequence at
// a time (after a request's input was refused) refreshes nothing.
struct executor_probe {
  std::shared_ptr<const probe_predictor> probe;  // null: none
  int refresh_tokens = 16;
};

// The probe `c` configures (none when c.probe_file is empty), checked
// against the served model's shape `m`. Errors: config_invalid naming
// predictor.probe_file (it does not load, or reads layers `m` lacks).
status_or<executor_probe> load_executor_probe(const predictor_config& c, const model_config& m);

// Spawns the executor (detached, not linked: the caller links or monitors
// it) reporting to `scheduler`, `intake` and `stats`, which may be remote.
// A non-null `trace` gets a record of every step (actors/step_trace.hpp).
executor_actor spawn_executor_actor(caf::actor_system& sys, const executor_params& params, std::shared_ptr<backend> b,
                                    scheduler_actor scheduler, intake_actor intake, stats_actor stats,
                                    std::shared_ptr<step_trace> trace = nullptr, executor_probe probe = {});

}  // namespace binserve
