// The scheduling core of binned policies (vanilla, multibin, sequence):
// which bin's batch each executor runs next. Pure and synchronous, like
// sched/core.hpp for continuous policies: the scheduler actor and the
// simulator both drive it, so what the simulator simulates is this
// scheduler.
//
// Batches are formed when an executor can run them, so a request that
// arrives meanwhile can still join one. Bins (sched/bin.hpp) report whether
// they hold a batch to take; while executors are idle the core asks the
// next ready bin for one (ready_bins: full bins first, then expired ones,
// oldest request first), at most one take on its way per idle executor. A
// taken batch goes to the idle executor that has waited longest for work.
// A take is answered later (the bin is another actor): `pulled`.
//
// The core knows requests by id; the caller keeps their payloads.
// Not thread-safe: one owner.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "binserve/request.hpp"
#include "sched/ready_bins.hpp"

namespace binserve::sched {

// Executor `executor` runs the batch `ids` taken from bin `bin`, each
// sequence generating at most `cap` more tokens.
struct batch_run {
  int executor = 0;
  int bin = 0;
  int cap = 0;
  std::vector<request_id> ids;
};

// What the caller does after an event: ask each bin in `take` for a batch
// (answered with pulled()), and start each run.
struct batch_actions {
  std::vector<int> take;
  std::vector<batch_run> run;
};

class batch_core {
 public:
  // Executor `e` joins, idle.
  batch_actions add_executor(int e);

  // Executor `e` is gone; returns the requests of its batch that have not
  // left it (the caller re-queues them).
  std::vector<request_id> lose_executor(int e);

  // Bin `bin` holds a batch to take (`r`), or nothing.
  batch_actions ready(int bin, std::optional<bin_readiness> r);

  // A take from `bin` is answered: `ids` (empty: cancels emptied the bin).
  batch_actions pulled(int bin, int cap, std::vector<request_id> ids);

  // Executor `e` finished its batch.
  batch_actions batch_done(int e);

  // Request `id` left its batch early (overflowed: it comes back as a
  // retry); losing its executor no longer re-queues it.
  void left(request_id id);

  // Forgets `id` in taken batches and running ones.
  void cancel(request_id id);

  // Executor `e`'s batch, less what left it early (empty when idle or unknown).
  std::vector<request_id> running(int e) const;

 private:
  struct executor {
    bool idle = true;
    std::int64_t last_dispatch = 0;   // when it last got a batch (a sequence number)
    std::vector<request_id> running;  // its batch, less what left early
  };
  batch_actions dispatch();
  int idle_executors() const;

  ready_bins ready_;
  std::map<int, executor> executors_;
  std::deque<batch_run> pulled_;  // taken, not yet dispatched (executor unknown)
  int pulls_ = 0;                 // takes asked, not yet answered
  std::int64_t dispatches_ = 0;
};

}  // namespace binserve::sched
