// The deadline of a running batch: a slow executor is not a dead one, but one
// that makes no progress for far longer than its own pace predicts is hung.
//
// executor_pace learns one executor's cost, seconds per computed slot (a
// slot is one sequence for one step: a static batch computes size x steps),
// as an exponentially weighted moving average of the batches (or, for a
// continuous executor, the steps) it finished. A batch of `slots` computed
// slots at most is expected to take pace x slots; its deadline is
//   max(floor, slack x expected),
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
  // Records a finished run of `slots` computed slots that took `seconds`.
  // Runs of no slot (nothing computed) or of negative time teach nothing.
  void observe(double seconds, std::int64_t slots);

  // Expected seconds for `slots` computed slots; 0 before any observation.
  [[nodiscard]] double expected_s(std::int64_t slots) const;

  // max(rule.floor_s, rule.slack x expected_s(slots)).
  [[nodiscard]] double deadline_s(const deadline_rule& rule, std::int64_t slots) const;

  // The fault text of a run that reached its deadline after `waited_s`:
  // "timed out after X s, expected ~Y s" (or "no estimate yet" before any observation).
  [[nodiscard]] std::string timed_out_text(double waited_s, std::int64_t slots) const;

 private:
  double s_per_slot_ = 0.0;  // 0: no observation yet
};

}  // namespace binserve
