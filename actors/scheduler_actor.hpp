// The scheduler actor: the translation of messages to the scheduling core's
// events and of its decisions to messages. Binned policies: it routes
// predicted jobs to bin actors (overflowed ones to the retry bin), and its
// batch core (sched/batch_core.hpp) decides which bin to take from while an
// executor is idle and which executor runs a taken batch; it keeps the
// taken jobs until their batch ends. Continuous policies: it holds the
// waiting jobs itself and sends each executor the core's plan for its next
// step (sched/core.hpp).
//
// Executors: its own (one per backend, linked) and those of worker nodes
// (joined by worker links, monitored). It remembers what it sent each
// executor until the executor reports it ended; when an executor dies (an
// exception, or its node's link drops), those jobs go to the intake to be
// re-queued, a local executor is respawned on the same backend, and a remote
// one is dropped until its node reconnects. A slow executor is not a dead
// one, but a hung one is: an executor with work has a deadline counted from
// its last progress report (static: progress_atom, at most every
// executor_params::progress_every_ms; continuous: each step_report), from
// its own pace (sched/deadline.hpp, the watchdog); past it the executor is killed
// and treated as dead, and a late message from it is ignored.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actors/executor_actor.hpp"
#include "actors/messages.hpp"
#include "actors/step_trace.hpp"
#include "gpu/backend.hpp"
#include "sched/batch_core.hpp"
#include "sched/bin_layout.hpp"
#include "sched/deadline.hpp"

namespace binserve {

struct scheduler_params {
  policy_config policy;
  sched::bin_layout layout;
  std::vector<std::shared_ptr<backend>> backends;  // one local executor each
  int kill_every_n_steps = 0;                      // fault injection into local executors (0: off)
  int stall_after_n_steps = 0;                     // fault injection: the first local executor hangs once
  int stall_ms = 0;                                //   for this long
  int step_delay_ms = 0;                           // fault injection: every executor is this much slower a step
  sched::deadline_rule deadline;                   // limits.batch_timeout_*
  std::vector<worker_endpoint> workers;            // worker nodes to dial (needs the io middleman)
  std::string fingerprint;                         // model_fingerprint() of this node's model
  std::shared_ptr<step_trace> trace;               // local executors' step trace (null: off)
  executor_probe probe;                            // local executors' probe (null: predictions made once, at arrival)
  // For tests (tests/sched/differential_test.cpp): called on the
  // scheduler's thread with each job the continuous core gets and each plan
  // it makes, and each batch the binned core runs; on_bin: bin_actor_params'.
  std::function<void(request_id)> on_arrival;
  std::function<void(const sched::step_plan&)> on_plan;
  std::function<void(const sched::batch_run&)> on_batch;
  std::function<void(int bin, bool pushed, bool armed)> on_bin;
};

// Spawns the scheduler linked to `parent` (the intake); it spawns and links
// its bin and local executor actors and its worker links.
scheduler_actor spawn_scheduler_actor(caf::local_actor* parent, scheduler_params params, intake_actor intake,
                                      stats_actor stats);

}  // namespace binserve
