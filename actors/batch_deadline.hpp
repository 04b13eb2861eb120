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
// and the floor alone before the first observation. Pure values: the
// scheduler owns one per executor slot and touches it from its own thread.
#pragma once

#include <cstdint>
#include <string>

namespace binserve {

// limits.batch_timeout_slack and limits.batch_timeout_floor_ms.
struct deadline_rule {
  double slack = 4.0;    // > 0: how many times its expected duration a batch may take
  double floor_s = 30.0; // > 0: the shortest deadline, and the only one before any observation
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

}  // namespace binserve
