// A bin's batching rule (bin_queue) and the scheduler's pull order
// (ready_bins): every batch is pulled; full bins first, oldest first.
#include "sched/bin_queue.hpp"

#include <gtest/gtest.h>

#include "sched/ready_bins.hpp"

namespace binserve::sched {
namespace {

// Bin [0, 10), batch 3, cap 10.
bin_queue<int> queue() { return bin_queue<int>(bin_spec{0, 10, 3, 10}); }

TEST(BinQueue, IsFullAtTheThresholdAndKeepsItsRequestsUntilTaken) {
  auto q = queue();
  q.push("", 1, 100);
  q.push("", 2, 110);
  EXPECT_FALSE(q.full());
  for (int i = 3; i <= 5; ++i) q.push("", i, 200);
  EXPECT_TRUE(q.full());
  EXPECT_EQ(q.size(), 5);  // nothing leaves before a take
  EXPECT_EQ(q.take(), (std::vector<int>{1, 2, 3}));
  EXPECT_FALSE(q.full());  // 4 and 5: one short
  EXPECT_EQ(q.size(), 2);
}

TEST(BinQueue, ExpiresWhenTheOldestHasWaitedUntilTheDeadline) {
  auto q = queue();
  EXPECT_FALSE(q.expired(1000));  // empty: nothing to expire
  q.push("", 1, 100);
  q.push("", 2, 110);
  EXPECT_FALSE(q.expired(99));  // the oldest arrived at 100: not yet
  EXPECT_TRUE(q.expired(100));
  EXPECT_EQ(q.size(), 2);  // asking takes nothing
}

TEST(BinQueue, ReadinessIsFullBeforeExpiredAndExpiryOnlyWhenChecked) {
  auto q = queue();
  EXPECT_FALSE(q.readiness(1000, true));  // empty
  q.push("", 1, 100);
  EXPECT_FALSE(q.readiness(1000, false));  // expired, but not checked
  EXPECT_EQ(q.readiness(1000, true), (bin_readiness{false, 100}));
  EXPECT_FALSE(q.readiness(99, true));
  q.push("", 2, 150);
  q.push("", 3, 160);
  EXPECT_EQ(q.readiness(0, false), (bin_readiness{true, 100}));  // full, expired or not
}

TEST(BinQueue, TakeGivesUpToABatchFullExpiredOrNot) {
  auto q = queue();
  EXPECT_TRUE(q.take().empty());  // cancels emptied it
  for (int i = 1; i <= 5; ++i) q.push("", i, 100 + i);
  EXPECT_EQ(q.take(), (std::vector<int>{1, 2, 3}));  // a full batch's worth at most
  EXPECT_EQ(*q.oldest(), 104);
  EXPECT_FALSE(q.expired(103));                   // 4 and 5 arrived later
  EXPECT_EQ(q.take(), (std::vector<int>{4, 5}));  // a partial batch, not expired
  EXPECT_EQ(q.size(), 0);
}

TEST(BinQueue, ASingleClientIsTakenInArrivalOrder) {
  bin_queue<int> q(bin_spec{0, 10, 4, 10});
  for (int i = 1; i <= 10; ++i) q.push("tcp:1", i, 100 + i % 3);  // arrival ties: push order
  EXPECT_EQ(q.take(), (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(q.take(), (std::vector<int>{5, 6, 7, 8}));
  EXPECT_EQ(q.take(), (std::vector<int>{9, 10}));
}

TEST(BinQueue, TakePicksRoundRobinAcrossClientsStartingWithTheOldest) {
  bin_queue<int> q(bin_spec{0, 10, 6, 10});
  for (int i = 1; i <= 8; ++i) q.push("flood", i, 100 + i);  // 1..8 at 101..108
  q.push("light", 50, 200);
  q.push("other", 60, 150);
  q.push("light", 51, 210);
  // flood's oldest (101) first, then other (150), then light (200); again.
  EXPECT_EQ(q.take(), (std::vector<int>{1, 60, 50, 2, 51, 3}));
  // The next take starts afresh: flood alone is left.
  EXPECT_EQ(q.take(), (std::vector<int>{4, 5, 6, 7, 8}));
}

TEST(BinQueue, ALateLightRequestJoinsTheNextBatchOfAFullBin) {
  auto q = queue();
  for (int i = 1; i <= 9; ++i) q.push("flood", i, 100 + i);  // three batches' worth
  q.push("light", 99, 500);                                  // arrives last
  EXPECT_EQ(q.take(), (std::vector<int>{1, 99, 2}));
}

TEST(BinQueue, CancelledOldestNoLongerExpires) {
  auto q = queue();
  q.push("a", 1, 100);
  q.push("b", 2, 300);
  EXPECT_TRUE(q.expired(200));
  EXPECT_EQ(q.remove_if([](int v) { return v == 1; }), 1);
  EXPECT_FALSE(q.expired(200));
  EXPECT_EQ(*q.oldest(), 300);
  EXPECT_EQ(q.size(), 1);
}

TEST(BinQueue, TakeEmptiesTheHighestClassFirstAndReadinessCarriesIt) {
  auto q = queue();  // batch 3
  q.push("a", 1, 100);
  q.push("a", 2, 110, 2);
  q.push("b", 3, 120);
  q.push("b", 4, 130, 2);
  EXPECT_EQ(q.readiness(0, false), (bin_readiness{true, 100, 2})) << "full, oldest of any class, top class 2";
  EXPECT_EQ(q.take(), (std::vector<int>{2, 4, 1})) << "class 2 (clients a, b), then class 0 by age";
  EXPECT_EQ(q.readiness(200, true), (bin_readiness{false, 120, 0}));
  EXPECT_EQ(q.remove_if([](int j) { return j == 3; }), 1);
  EXPECT_EQ(q.size(), 0);
}

TEST(ReadyBins, AHigherClassGoesFirstEvenBeforeAFullBin) {
  ready_bins r;
  r.set(0, {true, 10, 0});
  r.set(1, {false, 50, 1});
  EXPECT_EQ(r.pop_next(), 1);
  EXPECT_EQ(r.pop_next(), 0);
}

TEST(ReadyBins, PopsFullBinsFirstThenTheBinWhoseOldestRequestArrivedFirst) {
  ready_bins r;
  EXPECT_FALSE(r.pop_next());
  r.set(0, {false, 50});  // expired, and the oldest of all
  r.set(1, {true, 300});
  r.set(2, {false, 200});
  r.set(4, {true, 100});
  r.set(3, {true, 100});  // a tie: the one ready first goes first
  EXPECT_EQ(r.pop_next(), 4);
  EXPECT_EQ(r.pop_next(), 3);
  EXPECT_EQ(r.pop_next(), 1);
  EXPECT_EQ(r.pop_next(), 0);
  EXPECT_EQ(r.pop_next(), 2);
  EXPECT_TRUE(r.empty());
}

TEST(ReadyBins, ABinTakenFromGoesBehindTheBinsItTiesWith) {
  ready_bins r;
  r.set(0, {true, 0});  // requests that arrived together: every oldest is 0
  r.set(1, {true, 0});
  r.set(0, {true, 0});  // a report while held keeps its place
  EXPECT_EQ(r.pop_next(), 0);
  r.set(0, {true, 0});  // re-reported after the take
  EXPECT_EQ(r.pop_next(), 1);
  EXPECT_EQ(r.pop_next(), 0);
}

TEST(ReadyBins, SetReplacesAndDropRemoves) {
  ready_bins r;
  r.set(0, {false, 100});
  r.set(1, {false, 200});
  r.set(0, {false, 300});  // bin 0's old requests left in a batch; its oldest is now younger
  EXPECT_EQ(r.pop_next(), 1);
  r.set(1, {true, 50});
  r.drop(1);  // cancels emptied it
  r.drop(7);  // not held: ignored
  EXPECT_FALSE(r.contains(1));
  EXPECT_EQ(r.pop_next(), 0);
  EXPECT_FALSE(r.pop_next());
}

}  // namespace
}  // namespace binserve::sched
