// fair_queue: round-robin across clients, each client's jobs in arrival
// order; a single client is FIFO.
#include "sched/fair_queue.hpp"

#include <gtest/gtest.h>

namespace binserve::sched {
namespace {

std::vector<int> pop_all(fair_queue<int>& q) {
  std::vector<int> out;
  while (auto j = q.pop()) out.push_back(*j);
  return out;
}

TEST(FairQueue, ASingleClientIsFirstInFirstOut) {
  fair_queue<int> q;
  for (int i = 0; i < 6; ++i) q.push("", i, 7);  // equal arrivals: push order
  EXPECT_EQ(*q.oldest(), 7);
  EXPECT_EQ(pop_all(q), (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.oldest());
}

TEST(FairQueue, PopTakesTurnsAcrossClientsStartingWithTheOldest) {
  fair_queue<int> q;
  q.push("b", 20, 200);
  q.push("a", 10, 100);
  q.push("a", 11, 110);
  q.push("a", 12, 120);
  q.push("b", 21, 210);
  q.push("c", 30, 300);
  EXPECT_EQ(pop_all(q), (std::vector<int>{10, 20, 30, 11, 21, 12}));
}

TEST(FairQueue, AReturningClientGoesBeforeOneJustServed) {
  fair_queue<int> q;  // continuous admission: one pop at a time, turns kept
  for (int i = 0; i < 4; ++i) q.push("flood", i, i);
  EXPECT_EQ(q.pop(), 0);
  q.push("light", 100, 10);  // younger than every flood job
  EXPECT_EQ(q.pop(), 100);
  EXPECT_EQ(q.pop(), 1);
  q.push("light", 101, 11);
  EXPECT_EQ(q.pop(), 101);
  EXPECT_EQ(pop_all(q), (std::vector<int>{2, 3}));
}

TEST(FairQueue, PopRoundForgetsEarlierTurns) {
  fair_queue<int> q;
  q.push("a", 1, 1);
  q.push("a", 2, 2);
  q.push("b", 3, 3);
  EXPECT_EQ(q.pop(), 1);                                // a served: b would be next
  EXPECT_EQ(q.pop_round(2), (std::vector<int>{2, 3}));  // a's oldest is oldest: a first
}

TEST(FairQueue, RemoveIfDropsJobsAndEmptiedClients) {
  fair_queue<int> q;
  q.push("a", 1, 1);
  q.push("b", 2, 2);
  q.push("b", 3, 3);
  EXPECT_EQ(q.remove_if([](int j) { return j != 3; }), 2);
  EXPECT_EQ(q.size(), 1);
  EXPECT_EQ(*q.oldest(), 3);
  EXPECT_EQ(pop_all(q), (std::vector<int>{3}));
}

}  // namespace
}  // namespace binserve::sched
