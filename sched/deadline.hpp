// The hang deadline of an executor with work: a slow executor is not a dead
// one, and a long batch is not a hung one; an executor that makes no
// progress for far longer than its own pace predicts is hung. Progress is a
// report from the executor: a continuous one reports after every step, a
// static batch at most every executor_params::progress_every_ms (the slots
// it computed so far). The deadline counts from the last report (or the
// dispatch), so a batch of any length that keeps stepping never reaches it.
//
// executor_pace learns one executor's cost, seconds per computed slot (a
// slot is one sequence for one step: a static batch computes its size each
// step), as an exponentially weighted moving average over the stretches
// between its reports. With a step of `slots` computed slots the deadline
// after the last report is
//   max(floor, slack x pace x slots),
// and the floor alone before the first observation.
//
// watchdog keeps every executor's deadline for the scheduler: events with
// their time in (work starts, progress, work ends, a timer is due), timers
// to arm and hung executors out. At most one timer per executor is pending;
// one that fires early (the executor progressed since) re-arms for the
// rest. Pure, like the rest of the scheduling core (sched/core.hpp): the
// scheduler actor turns a timer into a delayed message and a hung executor
// into a kill. Not thread-safe: one owner.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "sched/time.hpp"

namespace binserve::sched {

// limits.batch_timeout_slack and limits.batch_timeout_floor_ms.
struct deadline_rule {
  double slack = 4.0;     // > 0: how many times its expected duration a batch may take
  double floor_s = 30.0;  // > 0: the shortest deadline, and the only one before any observation
};

class executor_pace {
 public:
  // Records a stretch of `slots` computed slots that took `seconds`.
  // Stretches of no slot (nothing computed) or of negative time teach nothing.
  void observe(double seconds, std::int64_t slots);

  // Expected seconds for `slots` computed slots; 0 before any observation.
  [[nodiscard]] double expected_s(std::int64_t slots) const;

  // max(rule.floor_s, rule.slack x expected_s(slots)).
  [[nodiscard]] double deadline_s(const deadline_rule& rule, std::int64_t slots) const;

  // The fault text of an executor that reached its deadline, having made
  // no progress for `waited_s` on steps of `slots` computed slots:
  // "timed out after X s without progress, expected ~Y s a step" (or "no
  // estimate yet" before any observation).
  [[nodiscard]] std::string timed_out_text(double waited_s, std::int64_t slots) const;

 private:
  double s_per_slot_ = 0.0;  // 0: no observation yet
};

// Deliver (timeout, executor, timer) at `due`.
struct deadline_timer {
  int executor = 0;
  std::uint64_t timer = 0;
  time_ns due = 0;
};

class watchdog {
 public:
  explicit watchdog(const deadline_rule& rule) : rule_(rule) {}

  // Executor `e` starts work of `slots` computed slots a step (a static
  // batch's size; a continuous step's live sequences): its deadline counts
  // from now. A timer to arm, unless one is pending.
  std::optional<deadline_timer> start(int e, std::int64_t slots, time_ns now);

  // Executor `e` reported progress: `computed` slots since its last report
  // (or start) teach its pace, and its deadline counts from now again.
  std::optional<deadline_timer> progress(int e, std::int64_t computed, time_ns now);

  // Executor `e` has no work after `computed` more slots (learned).
  void stop(int e, std::int64_t computed, time_ns now);

  // Timer `timer` of `e` is due. Nothing (a stale timer, an idle executor),
  // a timer to arm for the rest of its deadline (it progressed meanwhile),
  // or `hung`: the fault text of an executor past its deadline.
  struct verdict {
    std::optional<deadline_timer> rearm;
    std::optional<std::string> hung;
  };
  verdict due(int e, std::uint64_t timer, time_ns now);

  // Executor `e` is gone.
  void forget(int e) { clocks_.erase(e); }

 private:
  struct clock {
    executor_pace pace;
    time_ns since = 0;       // work started, or last progress
    std::int64_t slots = 0;  // a step's computed slots
    bool busy = false;
    std::uint64_t timer = 0;  // the pending timer; 0: none
  };
  std::optional<deadline_timer> arm(int e, clock& c, time_ns due);
  static double seconds(time_ns t) { return double(t) / 1e9; }

  deadline_rule rule_;
  std::map<int, clock> clocks_;
  std::uint64_t timers_ = 0;  // timers armed so far
};

}  // namespace binserve::sched
