// executor_pace: the per-executor cost estimate behind batch deadlines.
#include <gtest/gtest.h>

#include "sched/deadline.hpp"

namespace binserve::sched {
namespace {

const deadline_rule kRule{4.0, 2.0};  // slack 4, floor 2 s

TEST(ExecutorPace, BeforeAnyObservationTheDeadlineIsTheFloor) {
  executor_pace pace;
  EXPECT_EQ(pace.expected_s(1000), 0.0);
  EXPECT_EQ(pace.deadline_s(kRule, 1000000), 2.0);
  EXPECT_EQ(pace.timed_out_text(2.5, 10), "timed out after 2.5 s without progress, no estimate yet");
}

TEST(ExecutorPace, DeadlineIsSlackTimesExpectedAboveTheFloor) {
  executor_pace pace;
  pace.observe(1.0, 100);  // 10 ms a slot
  EXPECT_DOUBLE_EQ(pace.expected_s(1000), 10.0);
  EXPECT_DOUBLE_EQ(pace.deadline_s(kRule, 1000), 40.0);
  EXPECT_DOUBLE_EQ(pace.deadline_s(kRule, 10), 2.0);  // 4 x 0.1 s is under the floor
  EXPECT_EQ(pace.timed_out_text(41, 1000), "timed out after 41 s without progress, expected ~10 s a step");
}

TEST(ExecutorPace, LearnsAMovingAverageAndIgnoresEmptyRuns) {
  executor_pace pace;
  pace.observe(1.0, 100);  // 0.01 s a slot
  pace.observe(5.0, 0);    // computed nothing: teaches nothing
  EXPECT_DOUBLE_EQ(pace.expected_s(100), 1.0);
  pace.observe(5.0, 100);  // 0.05: the average moves a quarter of the way
  EXPECT_DOUBLE_EQ(pace.expected_s(100), 0.75 * 1.0 + 0.25 * 5.0);
}

constexpr time_ns kS = 1'000'000'000;  // one second

TEST(Watchdog, ArmsOneTimerAtTheFloorBeforeAnyPaceIsKnown) {
  watchdog w(kRule);
  const auto t = w.start(0, 16, 10 * kS);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->executor, 0);
  EXPECT_EQ(t->due, 12 * kS);  // the floor, 2 s
  EXPECT_FALSE(w.progress(0, 16, 11 * kS)) << "one timer pending at a time";
  const auto v = w.due(0, t->timer + 1, 12 * kS);
  EXPECT_FALSE(v.rearm || v.hung) << "a stale timer does nothing";
}

TEST(Watchdog, ATimerDueAfterProgressReArmsForTheRest) {
  watchdog w(kRule);
  const auto t = w.start(0, 1, 0);
  w.progress(0, 1, kS);  // progressed at 1 s: the deadline now counts from there
  const auto v = w.due(0, t->timer, 2 * kS);
  ASSERT_TRUE(v.rearm);
  EXPECT_FALSE(v.hung);
  EXPECT_EQ(v.rearm->due, 5 * kS);  // 1 s + slack 4 x the pace (1 s a slot), above the 2 s floor
}

TEST(Watchdog, AnExecutorPastItsDeadlineIsHungAndAnIdleOneNever) {
  watchdog w(kRule);
  auto t = w.start(0, 10, 0);
  w.progress(0, 10, kS);  // 0.1 s a slot: 10 slots a step, deadline 4 s from the last report
  auto v = w.due(0, t->timer, 2 * kS);
  ASSERT_TRUE(v.rearm);
  EXPECT_EQ(v.rearm->due, 5 * kS);
  v = w.due(0, v.rearm->timer, 5 * kS);
  ASSERT_TRUE(v.hung);
  EXPECT_EQ(*v.hung, "timed out after 4 s without progress, expected ~1 s a step");
  t = w.start(1, 10, 0);
  w.stop(1, 10, kS);
  v = w.due(1, t->timer, 10 * kS);
  EXPECT_FALSE(v.rearm || v.hung) << "idle: nothing to hang";
  w.forget(1);
  EXPECT_FALSE(w.due(1, t->timer, 10 * kS).hung);
}

}  // namespace
}  // namespace binserve::sched
