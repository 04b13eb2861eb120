// The scheduling core of continuous (iteration-level) batching: which
// requests each executor runs at its next step. Pure and synchronous: no
// CAF, no clock, no threads. Events come in with their time (arrivals, an
// executor's step done with each sequence's progress, executors added and
// lost, cancels, fresh predictions); plans come out, one per executor that
// has something to do. The scheduler actor (actors/scheduler_actor.cpp)
// translates messages to events and plans to messages; the simulator
// (sim/simulator.cpp) is an event loop over the same core, so what it
// simulates is this scheduler.
//
// Executors run in lockstep with the core: an executor given a plan whose
// `step` is true runs exactly one step and reports it (step_done); until
// then it is busy and gets no other plan. An idle executor gets a plan as
// soon as there is work for it.
//
// At each plan the core chooses the executor's live set from what runs
// there, what is parked there (preempted with its KV cache kept) and what
// waits unbound, in policy order (sched/policy.hpp): priority class first,
// then the starvation guard, then the policy's key. A non-preemptive policy
// only fills free slots; a preemptive one keeps the best max_live and
// preempts the rest. A request the starvation guard admitted is not
// preempted by policy again: it starved once, and runs to its end. A preempted sequence keeps its KV blocks (parked)
// while the executor's budget holds them, else is evicted: its blocks are freed and its prompt and tokens so far are
// recomputed when it runs again (counted). A request is preempted by policy at most policy.max_preemptions times.
//
// KV budget: an executor with a known cache (kv_blocks > 0) never gets more
// sequences than its blocks hold. A sequence opened with `reserve_tokens`
// holds max(reserve, positions) tokens' worth of blocks: the reservation is
// prompt + max_new_tokens (policy.kv_admission = max) or prompt + predicted
// length + one block (predicted), so more sequences run together. One that
// outgrows its reservation when no block is free preempts by policy order
// (the worst first, parked ones before live ones).
//
// A request that outlives its prediction gets a fresh estimate (twice the
// old one, within max_new_tokens; a predictor may send better ones through
// `predicted`), never a remaining length of zero.
//
// Not thread-safe: one owner.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "binserve/request.hpp"
#include "sched/policy.hpp"
#include "sched/time.hpp"

namespace binserve::sched {

// The core's estimate of a request's total output once it has made
// `generated` tokens: `predicted` while it has not outlived it, else doubled
// until it has (within max_new_tokens).
int estimate_after(int predicted, int generated, int max_new_tokens);

struct core_options {
  int max_wait_steps = 0;          // > 0: a request waiting this many steps goes first in its class
  int max_preemptions = 4;         // policy preemptions of one request at most
  bool reserve_predicted = false;  // KV reservation by predicted length (else by max_new_tokens)
};

// A request as the core schedules it.
struct arrival {
  request_id id = 0;
  std::string client;
  int priority = 0;  // higher classes always first
  int prompt_tokens = 1;
  int max_new_tokens = 1;
  int predicted = 1;  // predicted total output length, in [1, max_new_tokens]
  int generated = 0;  // tokens it starts from (a re-queued request's resumed ones)
};

struct executor_capacity {
  int max_live = 1;            // sequences per step
  std::int64_t kv_blocks = 0;  // its KV cache; 0: not budgeted
  int block_size = 16;         // positions per block
  int n_ctx = 0;               // a sequence's most positions; 0: unbounded
};

struct admission {
  request_id id = 0;
  int reserve_tokens = 0;  // open its sequence with this reservation
  bool parked = false;     // resume the sequence parked on this executor (no reservation)
  int recompute = 0;       // > 0: tokens it had before an eviction (re-prefilled)
};

// What one executor does before its next step, in this order: evict (close
// the sequence; the request waits), park (keep the sequence, leave the live
// set), admit; then, when `step`, run one step of its live set.
struct step_plan {
  int executor = 0;
  std::vector<request_id> evict, park;
  std::vector<admission> admit;
  bool step = false;
  bool empty() const { return evict.empty() && park.empty() && admit.empty() && !step; }
};

// One live sequence after a step: the tokens it has generated in all.
struct progress {
  request_id id = 0;
  int generated = 0;
};

struct core_counters {
  std::int64_t preemptions = 0;        // sequences preempted (by policy or for KV memory)
  std::int64_t parked = 0;             //   of them, with their KV kept
  std::int64_t recomputed_tokens = 0;  // prompt and generated tokens prefilled again after evictions
  std::int64_t reestimates = 0;        // fresh estimates for requests that outlived their prediction
};

class core {
 public:
  core(std::unique_ptr<policy> p, const core_options& options);

  // Executor `e` can take work (idle). Returns the plans this makes.
  std::vector<step_plan> add_executor(int e, const executor_capacity& capacity, time_ns now);

  // Executor `e` is gone; returns the requests it held (live or parked),
  // which the core forgets (the caller re-queues them).
  std::vector<request_id> lose_executor(int e);

  std::vector<step_plan> arrive(const arrival& a, time_ns now);
  // arrive without planning: for requests that arrive together (the
  // simulator's same-instant arrivals), the last one's arrive plans for all.
  void enqueue(const arrival& a, time_ns now);

  // Executor `e` ran its step: `live` is every sequence still running there
  // with its tokens in all, `ended` those that finished or failed. Ids the
  // core does not hold (cancelled meanwhile) are ignored.
  std::vector<step_plan> step_done(int e, std::span<const progress> live, std::span<const request_id> ended,
                                   time_ns now);

  // Forgets `id` wherever it is (the caller tells its executor).
  void cancel(request_id id);

  // A fresh prediction of `id`'s total output length (ignored when unknown).
  void predicted(request_id id, int length);

  int waiting() const;
  int live_on(int e) const;  // sequences in e's current step (0 when idle)
  bool holds(request_id id) const { return entries_.count(id) > 0; }
  const core_counters& counters() const { return counters_; }

 private:
  struct entry {
    arrival a;
    int generated = 0;
    std::uint64_t order = 0;  // arrival order
    time_ns arrived = 0;
    int home = -1;  // executor holding its sequence (live or parked); -1: none
    bool live = false;
    int reserve = 0;       // its sequence's reservation (tokens)
    int waited_steps = 0;  // steps seen since it last ran
    int preemptions = 0;
    bool promoted = false;  // admitted by the starvation guard: runs to its end
    bool evicted = false;   // its next admission recomputes its tokens
  };
  struct executor {
    executor_capacity cap;
    bool busy = false;
  };

  std::vector<step_plan> plan_idle(time_ns now);
  step_plan plan(int e, time_ns now);
  std::vector<entry*> rank(int e, time_ns now);
  std::vector<entry*> choose(const executor& x, int e, const std::vector<entry*>& ranked, std::int64_t& used) const;
  std::int64_t blocks_of(const executor& x, const entry& en, int reserve) const;
  int reserve_for(const executor& x, const entry& en) const;
  void preempt(entry& en, bool keep, step_plan& out);

  std::unique_ptr<policy> policy_;
  core_options options_;
  std::map<request_id, entry> entries_;
  std::map<int, executor> executors_;
  std::uint64_t arrivals_ = 0;
  core_counters counters_;
};

// The core of a continuous policy (policy.kind, max_wait_steps,
// max_preemptions, kv_admission). Errors: make_policy's.
status_or<std::unique_ptr<core>> make_core(const policy_config& config);

}  // namespace binserve::sched
