// The scheduling core's decisions, event by event (sched/core.hpp).
#include "sched/core.hpp"
#include "tests/policy_named.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace binserve::sched {
namespace {

core make_core(const std::string& kind, core_options o = {}) {
  policy_config p;
  p.kind = testing::policy_named(kind);
  p.sjf_aging_per_s = 0;
  auto made = make_policy(p);
  EXPECT_TRUE(made.ok()) << made.error().to_string();
  return core(std::move(*made), o);
}

arrival req(request_id id, int predicted, int max_new = 100, int prompt = 4, std::string client = "") {
  arrival a;
  a.id = id;
  a.client = std::move(client);
  a.prompt_tokens = prompt;
  a.max_new_tokens = max_new;
  a.predicted = predicted;
  return a;
}

std::vector<request_id> admitted(const std::vector<step_plan>& plans) {
  std::vector<request_id> ids;
  for (const step_plan& p : plans)
    for (const admission& a : p.admit) ids.push_back(a.id);
  return ids;
}

// One step of executor `e` where each live request made one more token.
std::vector<step_plan> step(core& c, int e, std::map<request_id, int>& generated, const std::vector<request_id>& live,
                            const std::vector<request_id>& ended = {}) {
  std::vector<progress> p;
  for (request_id id : live) p.push_back({id, ++generated[id]});
  return c.step_done(e, p, ended, 0);
}

TEST(SchedCore, ContinuousFillsFreeSlotsInArrivalOrderRoundRobinAcrossClients) {
  core c = make_core("continuous");
  for (request_id id = 1; id <= 3; ++id) EXPECT_TRUE(c.arrive(req(id, 10, 100, 4, "flood"), 0).empty());
  c.arrive(req(4, 10, 100, 4, "light"), 0);
  const auto plans = c.add_executor(0, {.max_live = 2}, 0);
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_TRUE(plans[0].step);
  EXPECT_EQ(admitted(plans), (std::vector<request_id>{1, 4})) << "each client's oldest first";
  EXPECT_EQ(c.waiting(), 2);
  EXPECT_EQ(c.live_on(0), 2);
}

TEST(SchedCore, AnArrivalGoesToAnIdleExecutorOnlyABusyOneWaitsForItsStep) {
  core c = make_core("continuous");
  c.add_executor(0, {.max_live = 4}, 0);
  auto plans = c.arrive(req(1, 10), 0);
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_EQ(admitted(plans), std::vector<request_id>{1});
  EXPECT_TRUE(c.arrive(req(2, 10), 0).empty()) << "executor 0 is busy with its step";
  std::map<request_id, int> g;
  plans = step(c, 0, g, {1});
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_EQ(admitted(plans), std::vector<request_id>{2});
  EXPECT_TRUE(plans[0].step);
  plans = step(c, 0, g, {2}, {1});
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_TRUE(plans[0].admit.empty());
  EXPECT_TRUE(plans[0].step) << "a plan with no change is the go for the next step";
  EXPECT_TRUE(step(c, 0, g, {}, {2}).empty()) << "nothing left: idle, no plan";
}

TEST(SchedCore, SjfAdmitsTheShortestPredictionFirstAndNeverPreempts) {
  core c = make_core("continuous-sjf");
  c.add_executor(0, {.max_live = 1}, 0);
  c.arrive(req(1, 50), 0);
  c.arrive(req(2, 30), 0);
  c.arrive(req(3, 5), 0);
  std::map<request_id, int> g;
  auto plans = step(c, 0, g, {1});
  EXPECT_TRUE(plans[0].evict.empty() && plans[0].park.empty()) << "request 1 runs on";
  plans = step(c, 0, g, {}, {1});
  EXPECT_EQ(admitted(plans), std::vector<request_id>{3});
}

TEST(SchedCore, SrptPreemptsTheLongestRemainingForAShorterArrivalKeepingItsKv) {
  core c = make_core("continuous-srpt");
  c.arrive(req(1, 50), 0);
  c.arrive(req(2, 40), 0);
  c.add_executor(0, {.max_live = 2, .kv_blocks = 100, .block_size = 16}, 0);
  std::map<request_id, int> g;
  c.arrive(req(3, 5), 0);
  auto plans = step(c, 0, g, {1, 2});
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_EQ(plans[0].park, std::vector<request_id>{1}) << "49 remaining against 39 and 5";
  EXPECT_EQ(admitted(plans), std::vector<request_id>{3});
  EXPECT_EQ(c.counters().preemptions, 1);
  EXPECT_EQ(c.counters().parked, 1);
  for (int i = 0; i < 4; ++i) step(c, 0, g, {2, 3});
  plans = step(c, 0, g, {2}, {3});
  ASSERT_EQ(plans[0].admit.size(), 1u);
  EXPECT_EQ(plans[0].admit[0].id, 1);
  EXPECT_TRUE(plans[0].admit[0].parked) << "resumed from its kept KV";
  EXPECT_EQ(c.counters().recomputed_tokens, 0);
}

TEST(SchedCore, APreemptedSequenceTheBudgetCannotKeepIsEvictedAndRecomputed) {
  core c = make_core("continuous-srpt");
  // Blocks of 16: a request of prompt 4 and max 28 holds 2 blocks; 4 blocks
  // hold two, so the preempted one cannot stay.
  c.arrive(req(1, 20, 28), 0);
  c.arrive(req(2, 18, 28), 0);
  c.add_executor(0, {.max_live = 2, .kv_blocks = 4, .block_size = 16}, 0);
  std::map<request_id, int> g;
  c.arrive(req(3, 2, 28), 0);
  auto plans = step(c, 0, g, {1, 2});
  EXPECT_EQ(plans[0].evict, std::vector<request_id>{1});
  for (int i = 0; i < 1; ++i) step(c, 0, g, {2, 3});
  plans = step(c, 0, g, {2}, {3});
  ASSERT_EQ(plans[0].admit.size(), 1u);
  EXPECT_FALSE(plans[0].admit[0].parked);
  EXPECT_EQ(plans[0].admit[0].recompute, 1) << "the one token it had";
  EXPECT_EQ(c.counters().recomputed_tokens, 4 + 1);
}

TEST(SchedCore, TheStarvationGuardPromotesALongWaitingRequest) {
  core c = make_core("continuous-srpt", {.max_wait_steps = 3});
  c.add_executor(0, {.max_live = 1}, 0);
  c.arrive(req(1, 90), 0);  // runs first: alone
  std::map<request_id, int> g;
  c.arrive(req(2, 80), 0);
  // Short ones keep coming; request 2 (80) would never run without the guard.
  request_id next = 10;
  std::vector<request_id> order;
  request_id live = 1;
  for (int s = 0; s < 12; ++s) {
    c.arrive(req(next++, 3), 0);
    auto plans = step(c, 0, g, {live});
    for (const admission& a : plans.at(0).admit) live = a.id, order.push_back(a.id);
  }
  EXPECT_NE(std::find(order.begin(), order.end(), 2), order.end()) << "request 2 ran within 12 steps";
}

TEST(SchedCore, ARequestTheGuardPromotedRunsToItsEnd) {
  core c = make_core("continuous-srpt", {.max_wait_steps = 3});
  c.add_executor(0, {.max_live = 1}, 0);
  c.arrive(req(1, 5), 0);
  c.arrive(req(2, 20), 0);  // waits behind 1 and the short ones
  std::map<request_id, int> g;
  request_id live = 1, next = 10;
  bool promoted = false;
  for (int s = 0; s < 30; ++s) {
    c.arrive(req(next++, 2), 0);  // a shorter request every step
    const auto plans = step(c, 0, g, {live},
                            g[live] + 1 >= (live == 2   ? 20
                                            : live == 1 ? 5
                                                        : 2)
                                ? std::vector<request_id>{live}
                                : std::vector<request_id>{});
    for (const step_plan& p : plans) {
      if (promoted) {
        EXPECT_TRUE(std::find(p.park.begin(), p.park.end(), 2) == p.park.end()) << "step " << s;
      }
      for (const admission& a : p.admit) live = a.id, promoted = promoted || a.id == 2;
    }
  }
  EXPECT_TRUE(promoted) << "the guard admitted request 2";
}

TEST(SchedCore, ARequestIsPreemptedAtMostMaxPreemptionsTimes) {
  core c = make_core("continuous-srpt", {.max_preemptions = 2});
  c.add_executor(0, {.max_live = 1}, 0);
  c.arrive(req(1, 90), 0);
  std::map<request_id, int> g;
  // Short requests arrive one at a time; each preempts the long one while
  // it may be, runs and ends, and the long one resumes.
  for (request_id id = 2; id <= 5; ++id) {
    c.arrive(req(id, 2), 0);
    const auto plans = step(c, 0, g, {1});
    if (admitted(plans) != std::vector<request_id>{id}) continue;  // pinned: the short one waits
    step(c, 0, g, {}, {id});
  }
  EXPECT_EQ(c.counters().preemptions, 2) << "after two preemptions the long request is pinned";
  EXPECT_EQ(c.waiting(), 2);
}

TEST(SchedCore, AHigherPriorityClassRunsFirstWhateverItsLength) {
  core c = make_core("continuous-srpt");
  c.add_executor(0, {.max_live = 1}, 0);
  c.arrive(req(1, 5), 0);
  std::map<request_id, int> g;
  arrival urgent = req(2, 90);
  urgent.priority = 1;
  c.arrive(urgent, 0);
  auto plans = step(c, 0, g, {1});
  EXPECT_EQ(admitted(plans), std::vector<request_id>{2});
  EXPECT_EQ(plans[0].park, std::vector<request_id>{1});
}

TEST(SchedCore, ReservingByPredictedLengthRunsMoreSequencesInTheSameBlocks) {
  for (bool predicted : {false, true}) {
    core c = make_core("continuous", {.reserve_predicted = predicted});
    // 64 blocks of 16: by max (4 + 256 tokens: 17 blocks) 3 fit; by
    // predicted length 20 (+ one block: 40 tokens, 3 blocks) 21 do.
    for (request_id id = 1; id <= 32; ++id) c.arrive(req(id, 20, 256), 0);
    const auto plans = c.add_executor(0, {.max_live = 32, .kv_blocks = 64, .block_size = 16}, 0);
    EXPECT_EQ(admitted(plans).size(), predicted ? 21u : 3u) << (predicted ? "predicted" : "max");
  }
}

TEST(SchedCore, ASequenceOutgrowingItsReservationWithNoFreeBlockPreemptsTheWorst) {
  core c = make_core("continuous", {.reserve_predicted = true});
  // predicted 4 + a block: 4 + 20 tokens = 2 blocks each, 4 blocks: two run.
  c.add_executor(0, {.max_live = 4, .kv_blocks = 4, .block_size = 16}, 0);
  c.arrive(req(1, 4, 100), 0);
  c.arrive(req(2, 4, 100), 0);
  std::map<request_id, int> g;
  std::vector<step_plan> plans;
  for (int s = 0; s < 40 && plans.empty(); ++s) {
    plans = step(c, 0, g, {1, 2});
    if (!plans.empty() && plans[0].evict.empty()) plans.clear();
  }
  ASSERT_FALSE(plans.empty()) << "past 32 positions one must go";
  EXPECT_EQ(plans[0].evict, std::vector<request_id>{2}) << "the newest (FCFS's worst)";
  EXPECT_EQ(c.counters().preemptions, 1);
}

TEST(SchedCore, ARequestThatOutlivesItsPredictionGetsAFreshEstimate) {
  core c = make_core("continuous-srpt");
  c.add_executor(0, {.max_live = 1}, 0);
  c.arrive(req(1, 3, 100), 0);
  std::map<request_id, int> g;
  for (int s = 0; s < 3; ++s) step(c, 0, g, {1});
  EXPECT_EQ(c.counters().reestimates, 1);
  // After the next step 6 - 4 = 2 remain, not the floor of 1: a new request
  // predicted 1 preempts it (a tie would not).
  c.arrive(req(2, 1, 100), 0);
  auto plans = step(c, 0, g, {1});
  EXPECT_EQ(admitted(plans), std::vector<request_id>{2});
}

TEST(SchedCore, ALostExecutorsRequestsAreReturnedAndForgotten) {
  core c = make_core("continuous");
  c.add_executor(0, {.max_live = 2}, 0);
  c.add_executor(1, {.max_live = 2}, 0);
  c.arrive(req(1, 5), 0);
  c.arrive(req(2, 5), 0);
  auto held = c.lose_executor(0);
  std::sort(held.begin(), held.end());
  EXPECT_EQ(held, (std::vector<request_id>{1}));
  EXPECT_TRUE(c.holds(2));
  EXPECT_FALSE(c.holds(1));
  c.cancel(2);
  EXPECT_FALSE(c.holds(2));
}

TEST(SchedCore, AnEmptyExecutorTakesItsBestCandidateEvenIfItCanNeverFit) {
  core c = make_core("continuous");
  c.add_executor(0, {.max_live = 4, .kv_blocks = 2, .block_size = 16}, 0);
  const auto plans = c.arrive(req(1, 100, 500), 0);
  EXPECT_EQ(admitted(plans), std::vector<request_id>{1}) << "the backend refuses it; it never waits forever";
}

TEST(SchedCore, EveryRegisteredPolicyIsContinuous) {
  EXPECT_EQ(continuous_policies().size(), 3u);
  for (const policy_kind kind : continuous_policies()) {
    policy_config p;
    p.kind = kind;
    EXPECT_TRUE(make_policy(p).ok()) << name_of(kind);
    EXPECT_TRUE(is_continuous(kind));
  }
  EXPECT_FALSE(is_continuous(policy_kind::sequence));
  policy_config bad;
  bad.kind = policy_kind::sequence;
  EXPECT_EQ(make_policy(bad).error().code(), error_code::config_invalid);
}

}  // namespace
}  // namespace binserve::sched

namespace binserve::sched {
namespace {

TEST(SchedCore, AnOutlivedEstimateDoublesUntilItIsAheadWithinTheLimit) {
  EXPECT_EQ(estimate_after(10, 9, 100), 10);     // not outlived
  EXPECT_EQ(estimate_after(10, 10, 100), 20);    // reached: doubled
  EXPECT_EQ(estimate_after(10, 35, 100), 40);    // as a step-by-step reader would have doubled it
  EXPECT_EQ(estimate_after(10, 500, 100), 100);  // never past max_new_tokens
  EXPECT_EQ(estimate_after(0, 0, 100), 1);       // never zero
}

}  // namespace
}  // namespace binserve::sched
