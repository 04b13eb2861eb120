// executor_pace: the per-executor cost estimate behind batch deadlines.
#include <gtest/gtest.h>

#include "actors/batch_deadline.hpp"

namespace binserve {
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

}  // namespace
}  // namespace binserve
