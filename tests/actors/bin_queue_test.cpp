// A bin's emission rule (bin_queue) and the scheduler's pull order
// (expired_bins): full batches are pushed, expired partial ones pulled.
#include "actors/bin_queue.hpp"

#include <gtest/gtest.h>

#include "actors/expired_bins.hpp"

namespace binserve {
namespace {

// Bin [0, 10), batch 3, cap 10.
bin_queue<int> queue() { return bin_queue<int>(bin_spec{0, 10, 3, 10}); }

TEST(BinQueue, TakesAFullBatchAtTheThresholdOnly) {
  auto q = queue();
  q.push(1, 100);
  q.push(2, 110);
  EXPECT_FALSE(q.take_full());
  for (int i = 3; i <= 5; ++i) q.push(i, 200);
  EXPECT_EQ(*q.take_full(), (std::vector<int>{1, 2, 3}));
  EXPECT_FALSE(q.take_full());  // 4 and 5: one short
  EXPECT_EQ(q.size(), 2);
}

TEST(BinQueue, ExpiresWhenTheOldestHasWaitedUntilTheDeadline) {
  auto q = queue();
  EXPECT_FALSE(q.expired(1000));  // empty: nothing to expire
  q.push(1, 100);
  q.push(2, 110);
  EXPECT_FALSE(q.expired(99));  // the oldest arrived at 100: not yet
  EXPECT_TRUE(q.expired(100));
  EXPECT_EQ(q.size(), 2);  // asking takes nothing
}

TEST(BinQueue, TakeOldestGivesUpToABatchOfTheOldestExpiredOrNot) {
  auto q = queue();
  EXPECT_TRUE(q.take_oldest().empty());  // cancels emptied it
  for (int i = 1; i <= 5; ++i) q.push(i, 100 + i);
  EXPECT_EQ(q.take_oldest(), (std::vector<int>{1, 2, 3}));  // a full batch's worth at most
  EXPECT_EQ(*q.oldest(), 104);
  EXPECT_FALSE(q.expired(103));  // 4 and 5 arrived later
  EXPECT_EQ(q.take_oldest(), (std::vector<int>{4, 5}));  // a partial batch, not expired
  EXPECT_EQ(q.size(), 0);
}

TEST(BinQueue, CancelledOldestNoLongerExpires) {
  auto q = queue();
  q.push(1, 100);
  q.push(2, 300);
  EXPECT_TRUE(q.expired(200));
  EXPECT_EQ(q.remove_if([](int v) { return v == 1; }), 1);
  EXPECT_FALSE(q.expired(200));
  EXPECT_EQ(*q.oldest(), 300);
}

TEST(ExpiredBins, PopsTheBinWhoseOldestRequestArrivedFirst) {
  expired_bins e;
  EXPECT_FALSE(e.pop_oldest());
  e.set(0, 300);
  e.set(1, 100);
  e.set(2, 200);
  e.set(3, 100);  // a tie: the lower index first
  EXPECT_EQ(e.pop_oldest(), 1);
  EXPECT_EQ(e.pop_oldest(), 3);
  EXPECT_EQ(e.pop_oldest(), 2);
  EXPECT_EQ(e.pop_oldest(), 0);
  EXPECT_TRUE(e.empty());
}

TEST(ExpiredBins, SetReplacesAndDropRemoves) {
  expired_bins e;
  e.set(0, 100);
  e.set(1, 200);
  e.set(0, 300);  // bin 0's old requests left in a full batch; its oldest is now younger
  EXPECT_EQ(e.pop_oldest(), 1);
  e.set(1, 50);
  e.drop(1);  // cancels emptied it
  e.drop(7);  // not held: ignored
  EXPECT_FALSE(e.contains(1));
  EXPECT_EQ(e.pop_oldest(), 0);
  EXPECT_FALSE(e.pop_oldest());
}

}  // namespace
}  // namespace binserve
