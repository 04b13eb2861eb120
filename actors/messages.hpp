// The actor runtime's messages and typed interfaces, declared once.
//
// Flow of one request:
//   service --submit--> intake --job--> predictor --job--> scheduler
//   scheduler --job--> bin --batch--> scheduler --run--> executor
//   executor --token/done--> intake --(result)--> service
//   executor --retry(job)--> scheduler        (overflowed a batch's cap)
//   intake --observe--> predictor             (true length, the feedback path)
// Continuous policies skip the bins: the scheduler admits jobs into an
// executor's running batch whenever it reports free slots.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/metrics.hpp"
#include "binserve/request.hpp"

namespace binserve {

// ---- atoms ------------------------------------------------------------------
using submit_atom = caf::atom_constant<caf::atom("submit")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;
using token_atom = caf::atom_constant<caf::atom("token")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using failed_atom = caf::atom_constant<caf::atom("failed")>;
using observe_atom = caf::atom_constant<caf::atom("observe")>;
using batch_atom = caf::atom_constant<caf::atom("batch")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;
using capacity_atom = caf::atom_constant<caf::atom("capacity")>;
using run_atom = caf::atom_constant<caf::atom("run")>;
using admit_atom = caf::atom_constant<caf::atom("admit")>;
using step_atom = caf::atom_constant<caf::atom("step")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using depth_atom = caf::atom_constant<caf::atom("depth")>;
using get_atom = caf::atom_constant<caf::atom("get")>;
using reject_atom = caf::atom_constant<caf::atom("reject")>;

// ---- message types ------------------------------------------------------------

// One request as it moves through the runtime.
struct job {
  request_id id = 0;
  std::string prompt;
  std::vector<int> prompt_ids;
  float temperature = 0.0f;
  float top_p = 1.0f;
  std::uint64_t seed = 0;
  int max_new_tokens = 0;
  int target_length = 0;
  int known_length = 0;
  std::int64_t deadline_ms = 0;  // > 0: fails with timed_out this long after submission
  int predicted_length = 0;  // set by the predictor
  int bin = 0;               // set by the scheduler
  int retries = 0;           // overflows so far
  std::vector<int> resumed_ids;  // retry mode resume: tokens kept from earlier runs
};

// Requests a bin hands to an executor, with their length cap.
struct batch {
  int bin = 0;
  int cap = 0;  // tokens generated (per run) after which a sequence overflows
  std::vector<job> jobs;
};

// A request's final output, from the executor to the intake.
struct finished {
  job request;                     // as it ran last
  std::vector<int> generated_ids;  // resumed tokens included, stop token excluded
  std::string stop_reason;
  std::int64_t started_ns = 0;     // steady-clock time its last run began
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job& x) {
  return f(caf::meta::type_name("binserve::job"), x.id, x.prompt, x.prompt_ids, x.temperature,
           x.top_p, x.seed, x.max_new_tokens, x.target_length, x.known_length,
           x.deadline_ms, x.predicted_length, x.bin, x.retries, x.resumed_ids);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch& x) {
  return f(caf::meta::type_name("binserve::batch"), x.bin, x.cap, x.jobs);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, finished& x) {
  return f(caf::meta::type_name("binserve::finished"), x.request, x.generated_ids, x.stop_reason,
           x.started_ns);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request_record& x) {
  return f(caf::meta::type_name("binserve::request_record"), x.ok, x.cancelled, x.timed_out,
           x.generated_tokens, x.total_ms, x.first_token_ms, x.queue_ms);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch_record& x) {
  return f(caf::meta::type_name("binserve::batch_record"), x.bin, x.size, x.computed_slots);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, latency_summary& x) {
  return f(caf::meta::type_name("binserve::latency_summary"), x.mean, x.p50, x.p90, x.p99);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bin_summary& x) {
  return f(caf::meta::type_name("binserve::bin_summary"), x.bin, x.lo, x.hi, x.batch_size, x.cap,
           x.queue_depth, x.batches, x.mean_batch_size);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stats& x) {
  return f(caf::meta::type_name("binserve::stats"), x.submitted, x.completed, x.failed, x.rejected,
           x.cancelled, x.timed_out, x.retries, x.generated_tokens, x.computed_slots, x.elapsed_s,
           x.requests_per_s, x.tokens_per_s, x.effective_token_ratio, x.failure_ratio, x.latency,
           x.first_token, x.queue, x.bins);
}

// Registers the types above with an actor system's config (every process
// that sends or receives them).
void add_message_types(caf::actor_system_config& cfg);

// ---- typed interfaces -----------------------------------------------------------

// stats: (submit_atom) | (reject_atom) | (retry_atom) | request_record |
//        batch_record | (depth_atom, bin, depth)  -> ()
//        (get_atom) -> stats
using stats_actor = caf::typed_actor<
    caf::reacts_to<submit_atom>, caf::reacts_to<reject_atom>, caf::reacts_to<retry_atom>,
    caf::reacts_to<request_record>, caf::reacts_to<batch_record>,
    caf::reacts_to<depth_atom, int, int>, caf::replies_to<get_atom>::with<stats>>;

// executor: (run_atom, batch)   a static batch; only sent when it is idle
//           (admit_atom, job)   continuous: join the running batch
//           (step_atom)         one forward + sample (self-sent)
//           (cancel_atom, id)   drop the sequence if it runs here
using executor_actor =
    caf::typed_actor<caf::reacts_to<run_atom, batch>, caf::reacts_to<admit_atom, job>,
                     caf::reacts_to<step_atom>, caf::reacts_to<cancel_atom, request_id>>;

// bin: job                   hold it; emit a batch at the threshold
//      (flush_atom, gen)     max_wait passed for the generation-`gen` timer
//      (cancel_atom, id)     drop it if waiting here
using bin_actor = caf::typed_actor<caf::reacts_to<job>, caf::reacts_to<flush_atom, std::uint64_t>,
                                   caf::reacts_to<cancel_atom, request_id>>;

// scheduler: job                          route a predicted job to its bin
//            (batch_atom, batch)          a bin's batch, to dispatch
//            (retry_atom, job)            an overflowed job, to the retry bin
//            (idle_atom, executor)        that executor finished its batch
//            (capacity_atom, executor, free, admitted)
//                                         continuous: it has `free` slots and
//                                         has received `admitted` jobs in all
//            (cancel_atom, id)            drop it wherever it waits
using scheduler_actor = caf::typed_actor<
    caf::reacts_to<job>, caf::reacts_to<batch_atom, batch>, caf::reacts_to<retry_atom, job>,
    caf::reacts_to<idle_atom, int>, caf::reacts_to<capacity_atom, int, int, std::int64_t>,
    caf::reacts_to<cancel_atom, request_id>>;

// predictor: job                           predict, pass on to the scheduler
//            (observe_atom, job, length)   feedback: the true length
using predictor_actor =
    caf::typed_actor<caf::reacts_to<job>, caf::reacts_to<observe_atom, job, int>>;

// intake: (submit_atom, job)          admit (limits) or reject
//         (token_atom, id, index, token)  generated token number `index` (a
//                                     restarted run repeats indices: skipped)
//         (done_atom, finished)       a final output
//         (failed_atom, id, code, msg) a final error from an executor
//         (cancel_atom, id) | (timeout_atom, id)
//         (drain_atom) -> (drain_atom)  replies once nothing is in flight
using intake_actor = caf::typed_actor<
    caf::reacts_to<submit_atom, job>, caf::reacts_to<token_atom, request_id, int, int>,
    caf::reacts_to<done_atom, finished>, caf::reacts_to<failed_atom, request_id, int, std::string>,
    caf::reacts_to<cancel_atom, request_id>, caf::reacts_to<timeout_atom, request_id>,
    caf::replies_to<drain_atom>::with<drain_atom>>;

}  // namespace binserve
