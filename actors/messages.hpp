// The actor runtime's messages and typed interfaces, declared once.
//
// Flow of one request:
//   service --submit--> intake --job--> predictor --job--> scheduler
//   scheduler --job--> bin --batch--> scheduler --run--> executor
//     (every batch is pulled: a bin announces that it is full, or that its
//     oldest request has waited max_wait (ready), and the scheduler takes a
//     batch (take) only when an executor is idle, round-robin across the
//     bin's clients)
//   executor --token/done--> intake --(result)--> service
//   executor --retry(job)--> scheduler        (overflowed a batch's cap)
//   intake --observe--> predictor             (true length, the feedback path)
// Continuous policies skip the bins: the scheduler's core (sched/core.hpp)
// plans each executor's next step (plan: evict, park, resume, admit, step);
// the executor runs that one step and reports it (step_report), in lockstep.
//
// Across nodes (docs/architecture.md): a worker link connects to a worker
// node's published worker actor (CAF's io middleman), checks its protocol
// version and model fingerprint (hello), and attaches: the worker spawns
// executors wired to this node's scheduler, intake and stats, which the
// scheduler then uses like local ones. When an executor dies (a fault, or
// its node's connection drops), the scheduler sends its unfinished jobs to
// the intake, which re-queues those still in flight (requeue).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/metrics.hpp"
#include "actors/stats_schema.hpp"
#include "binserve/request.hpp"
#include "gpu/generation_request.hpp"
#include "sched/core.hpp"

namespace binserve {

// ---- atoms ------------------------------------------------------------------
using submit_atom = caf::atom_constant<caf::atom("submit")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using failed_atom = caf::atom_constant<caf::atom("failed")>;
using observe_atom = caf::atom_constant<caf::atom("observe")>;
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
using requeue_atom = caf::atom_constant<caf::atom("requeue")>;
using hello_atom = caf::atom_constant<caf::atom("hello")>;
using attach_atom = caf::atom_constant<caf::atom("attach")>;
using join_atom = caf::atom_constant<caf::atom("join")>;
using dial_atom = caf::atom_constant<caf::atom("dial")>;
using node_atom = caf::atom_constant<caf::atom("node")>;
using lost_atom = caf::atom_constant<caf::atom("lost")>;
using ready_atom = caf::atom_constant<caf::atom("ready")>;
using unready_atom = caf::atom_constant<caf::atom("unready")>;
using take_atom = caf::atom_constant<caf::atom("take")>;
using progress_atom = caf::atom_constant<caf::atom("progress")>;
using plan_atom = caf::atom_constant<caf::atom("plan")>;
using preempt_atom = caf::atom_constant<caf::atom("preempt")>;

// The wire protocol between a coordinator and its worker nodes; a worker
// refuses a coordinator of another version. Bump it whenever a message type
// or typed interface below changes.
constexpr int kWireProtocolVersion = 9;

// ---- message types ------------------------------------------------------------

// One request as it moves through the runtime.
struct job {
  request_id id = 0;
  std::string client;            // request::client: its fair share's key
  std::string prompt;            // request::prompt, for the predictors that read text
  generation_request gen;        // what the model runs: its prompt tokenized, seed drawn, max_new_tokens resolved
  int known_length = 0;          // trace_replay::known_length, for the predictor
  int priority = 0;              // request::priority: higher classes are scheduled first
  int length_hint = 0;           // request::length_hint, for the predictor
  std::int64_t deadline_ms = 0;  // > 0: fails with timed_out this long after submission
  int predicted_length = 0;      // set by the predictor
  int bin = 0;                   // set by the scheduler
  int retries = 0;               // overflows and re-queues so far
  std::vector<int> resumed_ids;  // retry mode resume: tokens kept from earlier runs
  int overflow_made = 0;         // tokens it had made when it last overflowed a cap
  int executor_failures = 0;     // executors that died while running it
};

// A generated token, from the executor to the intake.
struct emitted_token {
  request_id id = 0;
  int index = 0;  // a restarted run repeats indices (the intake skips them)
  int token = 0;
  bool has_logprobs = false;  // job::logprobs >= 0
  token_logprobs logprobs;
};

// Requests a bin hands to an executor, with their length cap.
struct batch {
  int bin = 0;
  int cap = 0;  // tokens made (resumed ones included) at which a sequence overflows
  std::vector<job> jobs;
};

// A request's final output, from the executor to the intake.
struct finished {
  job request;                     // as it ran last
  std::vector<int> generated_ids;  // resumed tokens included, stop token excluded
  std::string stop_reason;
  std::int64_t started_ns = 0;  // steady-clock time its last run began
};

// Continuous: what one executor does before its next step, from the
// scheduling core's plan (sched/core.hpp): close the `evict`ed sequences,
// set the `park`ed ones aside (KV kept), take the parked `resume` ones back,
// open `admit[i]` with `reserve[i]` tokens reserved; then, when `step`, run
// one step and report it (step_report).
struct executor_plan {
  std::vector<request_id> evict, park, resume;
  std::vector<job> admit;
  std::vector<int> reserve;
  bool step = false;
};

// Continuous: one step's outcome. ids[i] is still running, made tokens[i]
// this step and has generated[i] tokens in all (resumed ones included);
// `ended` finished, failed or were cancelled since the last report.
struct step_report {
  std::vector<request_id> ids;
  std::vector<int> tokens, generated;
  std::vector<int> predicted;  // the executor's probe: a fresh total length, 0: none
  std::vector<request_id> ended;
};

// How an executor runs its batches (set by the coordinator's policy; sent to
// worker nodes with attach).
struct executor_params {
  int index = 0;                // its slot in the scheduler; remote: the first of a node's
  int node = 0;                 // 0: this process; k > 0: the k-th configured worker
  bool continuous = false;      // admit/leave at every step instead of static batches
  bool resume = false;          // retry mode: keep overflowed tokens (else restart)
  int max_batch_size = 256;     // continuous: the most live sequences
  int kill_every_n_steps = 0;   // fault injection: > 0: throw at this step of its life
  int stall_after_n_steps = 0;  // fault injection: > 0: block at this step of its life for stall_ms
  int stall_ms = 0;
  int step_delay_ms = 0;  // fault injection: > 0: sleep this long every step
  // Static batches: report progress to the scheduler after a step when this
  // long has passed since the batch began or the last report (its deadline
  // counts from there). Rate-limited so a fast model does not flood it.
  int progress_every_ms = 1000;
};

// A worker node's answer to hello.
struct worker_info {
  int protocol = 0;         // kWireProtocolVersion of its build
  std::string fingerprint;  // model_fingerprint() of its model
  std::string model;        // what it loaded, for messages
  int executors = 0;        // executors it spawns per attach
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, logit_bias_entry& x) {
  return f(caf::meta::type_name("binserve::logit_bias_entry"), x.token, x.bias);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, token_logprob& x) {
  return f(caf::meta::type_name("binserve::token_logprob"), x.token, x.logprob);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, token_logprobs& x) {
  return f(caf::meta::type_name("binserve::token_logprobs"), x.chosen, x.top);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, emitted_token& x) {
  return f(caf::meta::type_name("binserve::emitted_token"), x.id, x.index, x.token, x.has_logprobs, x.logprobs);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sampling_params& x) {
  return f(caf::meta::type_name("binserve::sampling_params"), x.temperature, x.top_p, x.seed);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, logit_rules& x) {
  return f(caf::meta::type_name("binserve::logit_rules"), x.presence_penalty, x.frequency_penalty, x.bias,
           x.min_tokens);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, generation_request& x) {
  return f(caf::meta::type_name("binserve::generation_request"), x.prompt_ids, x.sampling, x.rules, x.stop,
           x.ignore_eos, x.logprobs, x.max_new_tokens, x.target_length);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job& x) {
  return f(caf::meta::type_name("binserve::job"), x.id, x.client, x.prompt, x.gen, x.known_length, x.priority,
           x.length_hint, x.deadline_ms, x.predicted_length, x.bin, x.retries, x.resumed_ids, x.overflow_made,
           x.executor_failures);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, executor_plan& x) {
  return f(caf::meta::type_name("binserve::executor_plan"), x.evict, x.park, x.resume, x.admit, x.reserve, x.step);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, step_report& x) {
  return f(caf::meta::type_name("binserve::step_report"), x.ids, x.tokens, x.generated, x.predicted, x.ended);
}
}  // namespace binserve
namespace binserve::sched {
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, executor_capacity& x) {
  return f(caf::meta::type_name("binserve::sched::executor_capacity"), x.max_live, x.kv_blocks, x.block_size, x.n_ctx);
}
}  // namespace binserve::sched
namespace binserve {
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, executor_params& x) {
  return f(caf::meta::type_name("binserve::executor_params"), x.index, x.node, x.continuous, x.resume, x.max_batch_size,
           x.kill_every_n_steps, x.stall_after_n_steps, x.stall_ms, x.step_delay_ms, x.progress_every_ms);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_info& x) {
  return f(caf::meta::type_name("binserve::worker_info"), x.protocol, x.fingerprint, x.model, x.executors);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch& x) {
  return f(caf::meta::type_name("binserve::batch"), x.bin, x.cap, x.jobs);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, finished& x) {
  return f(caf::meta::type_name("binserve::finished"), x.request, x.generated_ids, x.stop_reason, x.started_ns);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request_record& x) {
  return f(caf::meta::type_name("binserve::request_record"), x.ok, x.cancelled, x.timed_out, x.generated_tokens,
           x.total_ms, x.first_token_ms, x.queue_ms);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch_record& x) {
  return f(caf::meta::type_name("binserve::batch_record"), x.bin, x.size, x.computed_slots, x.node);
}
// The metrics (stats, latency_summary, bin_summary, node_summary), field by
// field as actors/stats_schema.hpp describes them.
template <class Inspector, described T>
typename Inspector::result_type inspect(Inspector& f, T& x) {
  return std::apply(
      [&](const auto&... field) { return f(caf::meta::type_name(stats_schema<T>::type_name), (x.*field.member)...); },
      stats_schema<T>::fields);
}

// Registers the types above with an actor system's config (every process
// that sends or receives them).
void add_message_types(caf::actor_system_config& cfg);

// The readable text of an error between actors: the string it carries (our
// refusals and faults), else CAF's rendering.
std::string error_text(const caf::error& e);

// ---- typed interfaces -----------------------------------------------------------

// stats: (submit_atom) | (reject_atom) | (retry_atom) | (requeue_atom) |
//        request_record | batch_record | (depth_atom, bin, depth)  -> ()
//        (node_atom, node, name, connected, executors, problem)  a node
//                                             (dis)connected, and why not
//        (lost_atom, node)                    one of its executors died
//        (preempt_atom, preemptions, recomputed_tokens)  more of each (continuous)
//        (get_atom) -> stats
using stats_actor =
    caf::typed_actor<caf::reacts_to<submit_atom>, caf::reacts_to<reject_atom>, caf::reacts_to<retry_atom>,
                     caf::reacts_to<requeue_atom>, caf::reacts_to<preempt_atom, std::int64_t, std::int64_t>,
                     caf::reacts_to<request_record>, caf::reacts_to<batch_record>, caf::reacts_to<depth_atom, int, int>,
                     caf::reacts_to<node_atom, int, std::string, bool, int, std::string>,
                     caf::reacts_to<lost_atom, int>, caf::replies_to<get_atom>::with<stats>>;

// executor: (run_atom, batch)   a static batch; only sent when it is idle
//           (plan_atom, executor_plan)  continuous: apply it, then (when
//                               plan.step) run one step and answer the
//                               scheduler (step_atom, index, step_report)
//           (step_atom)         static: one forward + sample (self-sent)
//           (cancel_atom, id)   drop the sequence if it runs (or is parked) here
using executor_actor = caf::typed_actor<caf::reacts_to<run_atom, batch>, caf::reacts_to<plan_atom, executor_plan>,
                                        caf::reacts_to<step_atom>, caf::reacts_to<cancel_atom, request_id>>;

// bin: job                   hold it; at the threshold tell the scheduler
//                            (ready_atom, bin, true, oldest_ns, priority): full
//                            (priority: the highest class waiting)
//      (flush_atom, gen)     max_wait passed for the generation-`gen` timer
//                            (self-sent): if the oldest request has expired,
//                            tell the scheduler (ready_atom, bin, false, oldest_ns, priority)
//      (take_atom) -> batch  the scheduler pulls (an executor is idle): up to
//                            a batch, the highest class first, round-robin
//                            across clients within a class (bin_queue),
//                            full, expired or neither; no jobs when cancels
//                            emptied the bin
//      (cancel_atom, id)     drop it if waiting here
// Once it has told the scheduler it is ready, the bin keeps that current:
// (ready_atom, bin, full, oldest_ns, priority) again when that changes and it is still
// full or expired, (unready_atom, bin) when it is neither; after a take it
// always sends one of the two (the scheduler forgets a bin it pulls from).
using bin_actor = caf::typed_actor<caf::reacts_to<job>, caf::reacts_to<flush_atom, std::uint64_t>,
                                   caf::replies_to<take_atom>::with<batch>, caf::reacts_to<cancel_atom, request_id>>;

// scheduler: job                          route a predicted job to its bin
//            (ready_atom, bin, full, oldest_ns, priority)  that bin holds a
//                                         full batch (full) or an expired partial
//                                         one (its oldest arrived at oldest_ns,
//                                         steady clock; its highest class
//                                         `priority`): pull it with (take_atom)
//                                         when an executor is idle, the highest
//                                         class first, then full bins, oldest
//                                         first (ready_bins)
//            (unready_atom, bin)          that bin is neither full nor expired now
//            (retry_atom, job)            an overflowed job, to the retry bin
//            (progress_atom, executor, computed_slots)  that executor's static
//                                         batch has computed that many slots so
//                                         far (at most every progress_every_ms)
//            (idle_atom, executor, computed_slots)  that executor finished its
//                                         batch, which computed that many slots
//            (capacity_atom, executor, executor_capacity)  continuous: a
//                                         new executor's slots and KV cache
//            (step_atom, executor, step_report)  continuous: it ran the step
//                                         its last plan asked for
//            (cancel_atom, id)            drop it wherever it waits
//            (join_atom, node, first, executors)  a worker node's executors
//                                         (indices first, first+1, ...) to use
//                                         (monitored: a dead one's jobs are re-queued)
//            (timeout_atom, executor, gen) its batch deadline timer number `gen`
//                                         (self-sent; stale generations ignored)
using scheduler_actor = caf::typed_actor<
    caf::reacts_to<job>, caf::reacts_to<retry_atom, job>, caf::reacts_to<ready_atom, int, bool, std::int64_t, int>,
    caf::reacts_to<unready_atom, int>, caf::reacts_to<idle_atom, int, std::int64_t>,
    caf::reacts_to<progress_atom, int, std::int64_t>, caf::reacts_to<capacity_atom, int, sched::executor_capacity>,
    caf::reacts_to<step_atom, int, step_report>, caf::reacts_to<cancel_atom, request_id>,
    caf::reacts_to<join_atom, int, int, std::vector<executor_actor>>, caf::reacts_to<timeout_atom, int, std::uint64_t>>;

// predictor: job                           predict, pass on to the scheduler
//            (observe_atom, job, length)   feedback: the true length
using predictor_actor = caf::typed_actor<caf::reacts_to<job>, caf::reacts_to<observe_atom, job, int>>;

// intake: (submit_atom, job)          admit (limits) or reject
//         emitted_token               a generated token (a restarted run
//                                     repeats indices: skipped)
//         (done_atom, finished)       a final output
//         (failed_atom, id, code, msg) a final error from an executor
//         (cancel_atom, id) | (timeout_atom, id)
//         (requeue_atom, job, fault)  its executor died running it: run it
//                                     again (a retry job) if still in flight, or
//                                     fail it (backend_failure naming `fault`)
//                                     past limits.max_executor_failures
//         (drain_atom) -> (drain_atom)  replies once nothing is in flight
using intake_actor =
    caf::typed_actor<caf::reacts_to<submit_atom, job>, caf::reacts_to<emitted_token>,
                     caf::reacts_to<done_atom, finished>, caf::reacts_to<failed_atom, request_id, int, std::string>,
                     caf::reacts_to<cancel_atom, request_id>, caf::reacts_to<timeout_atom, request_id>,
                     caf::reacts_to<requeue_atom, job, std::string>, caf::replies_to<drain_atom>::with<drain_atom>>;

// worker (published by `binserve worker`):
//   (hello_atom, protocol, fingerprint) -> worker_info
//        | error: protocol or model mismatch (naming both sides)
//   (attach_atom, scheduler, intake, stats, executor_params) -> (executors)
//        spawns its executors (indices params.index, +1, ...) reporting to the
//        coordinator's actors; they exit when that scheduler goes down
//        | error: already attached to a live coordinator
using worker_actor = caf::typed_actor<caf::replies_to<hello_atom, int, std::string>::with<worker_info>,
                                      caf::replies_to<attach_atom, scheduler_actor, intake_actor, stats_actor,
                                                      executor_params>::with<std::vector<executor_actor>>>;

// worker link (the coordinator's side of one worker node):
//   (dial_atom)   connect, hello, attach; on failure or when the node goes
//                 down, dial again after an exponential backoff (self-sent)
using worker_link_actor = caf::typed_actor<caf::reacts_to<dial_atom>>;

}  // namespace binserve
