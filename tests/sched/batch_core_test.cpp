// The binned policies' scheduling core: a bin's effects (sched/bin.hpp) and
// which batch each executor runs (sched/batch_core.hpp).
#include "sched/batch_core.hpp"

#include <gtest/gtest.h>

#include "sched/bin.hpp"

namespace binserve::sched {
namespace {

constexpr time_ns kWait = 50;

// Bin [0, 10), batch 2, cap 10.
bin make_bin() { return bin(bin_spec{0, 10, 2, 10}, kWait); }

TEST(Bin, ArmsItsTimerForTheOldestAndTellsOnceExpired) {
  bin b = make_bin();
  bin_effects e = b.push(1, "", 0, 100);
  EXPECT_EQ(e.depth, 1);
  EXPECT_FALSE(e.tell);  // neither full nor (unchecked) expired: nothing to tell
  ASSERT_TRUE(e.arm);
  EXPECT_EQ(e.due, 100 + kWait);
  EXPECT_FALSE(b.push(2, "", 0, 120).arm) << "one timer at a time";
  // (the second push made it full)
  bin c = make_bin();
  const bin_effects first = c.push(1, "", 0, 100);
  EXPECT_FALSE(c.flush(first.timer + 1, 200).tell) << "a stale timer does nothing";
  const bin_effects fired = c.flush(first.timer, 150);
  ASSERT_TRUE(fired.tell);
  ASSERT_TRUE(fired.ready);
  EXPECT_FALSE(fired.ready->full);
  EXPECT_EQ(fired.ready->oldest, 100);
  EXPECT_FALSE(fired.arm) << "the scheduler knows it is ready: no timer";
}

TEST(Bin, TellsWhenFullAndAgainAfterEveryTake) {
  bin b = make_bin();
  const std::uint64_t timer = b.push(1, "", 0, 100).timer;
  const bin_effects full = b.push(2, "", 0, 110);
  ASSERT_TRUE(full.tell && full.ready);
  EXPECT_TRUE(full.ready->full);
  b.push(3, "", 0, 120);
  bin_effects after;
  EXPECT_EQ(b.take(130, after), (std::vector<request_id>{1, 2}));
  EXPECT_TRUE(after.tell) << "the scheduler forgot the bin when it pulled";
  EXPECT_FALSE(after.ready) << "3 alone, not expired yet";
  EXPECT_FALSE(after.arm) << "the first push's timer is still pending";
  const bin_effects fired = b.flush(timer, 150);
  EXPECT_FALSE(fired.tell) << "3 has not waited max_wait";
  ASSERT_TRUE(fired.arm) << "re-armed for 3";
  EXPECT_EQ(fired.due, 120 + kWait);
  EXPECT_EQ(b.remove(3, 140)->depth, 0);
  EXPECT_FALSE(b.remove(3, 140)) << "not waiting here";
}

TEST(BatchCore, TakesOnlyForIdleExecutorsFullBinsFirst) {
  batch_core c;
  c.add_executor(0);
  batch_actions a = c.ready(1, bin_readiness{false, 10});  // expired, older
  EXPECT_EQ(a.take, (std::vector<int>{1}));
  EXPECT_TRUE(c.ready(2, bin_readiness{true, 20}).take.empty()) << "one take per idle executor";
  a = c.pulled(1, 16, {7, 8});
  ASSERT_EQ(a.run.size(), 1u);
  EXPECT_EQ(a.run[0].executor, 0);
  EXPECT_EQ(a.run[0].bin, 1);
  EXPECT_EQ(a.run[0].cap, 16);
  EXPECT_TRUE(a.take.empty()) << "no executor idle";
  c.ready(1, bin_readiness{false, 5});
  a = c.batch_done(0);
  EXPECT_EQ(a.take, (std::vector<int>{2})) << "a full bin before an older expired one";
}

TEST(BatchCore, ABatchGoesToTheExecutorIdleLongestAndALostOneGivesItsJobsBack) {
  batch_core c;
  c.add_executor(0);
  c.add_executor(1);
  batch_actions a = c.ready(0, bin_readiness{true, 1});
  ASSERT_EQ(a.take, (std::vector<int>{0}));
  a = c.pulled(0, 8, {1, 2});
  ASSERT_EQ(a.run.size(), 1u);
  EXPECT_EQ(a.run[0].executor, 0);  // ties: by index
  a = c.ready(0, bin_readiness{true, 2});
  a = c.pulled(0, 8, {3, 4});
  ASSERT_EQ(a.run.size(), 1u);
  EXPECT_EQ(a.run[0].executor, 1);
  c.batch_done(0);
  c.batch_done(1);
  c.ready(0, bin_readiness{true, 3});
  a = c.pulled(0, 8, {5, 6});
  ASSERT_EQ(a.run.size(), 1u);
  EXPECT_EQ(a.run[0].executor, 0) << "executor 0 got its last batch first";
  c.left(5);  // overflowed: it comes back as a retry
  EXPECT_EQ(c.lose_executor(0), (std::vector<request_id>{6}));
  EXPECT_TRUE(c.lose_executor(0).empty());
}

TEST(BatchCore, ACancelledRequestLeavesATakenBatch) {
  batch_core c;
  c.ready(0, bin_readiness{true, 1});  // no executor: nothing taken
  batch_actions a = c.add_executor(0);
  ASSERT_EQ(a.take, (std::vector<int>{0}));
  c.cancel(2);
  a = c.pulled(0, 8, {1, 2});
  ASSERT_EQ(a.run.size(), 1u);
  EXPECT_EQ(a.run[0].ids, (std::vector<request_id>{1, 2})) << "cancelled before the take: the bin's business";
  c.cancel(2);
  EXPECT_EQ(c.running(0), (std::vector<request_id>{1}));
}

}  // namespace
}  // namespace binserve::sched
