// Batch deadlines (issue 8): an executor that hangs mid-batch (alive, no
// progress: faults.stall_executor_after_n_steps) is declared failed once its
// batch runs past max(floor, slack x expected); its jobs are re-queued and
// every request still gets exactly one final value, the text of an
// undisturbed greedy run. A slow executor that keeps progressing is not
// failed. Real stories260K model; the stall lasts 2 s, the floor is 0.3 s.
#include <gtest/gtest.h>

#include "binserve/service.hpp"
#include "gpu/generate.hpp"
#include "gpu/tokenizer.hpp"
#include "tests/fault_service.hpp"

namespace binserve {
namespace {

service_setup timeout_config(const std::string& policy) {
  service_setup c = testing::fault_service_config(policy);
  c.limits.batch_timeout_slack = 4;
  c.limits.batch_timeout_floor_ms = 300;
  c.faults.stall_ms = 2000;
  return c;
}

// Submits `n` requests (testing::fault_request); each must
// end once, with the first tokens of the prompt's greedy run.
void expect_all_complete(service& svc, int n) {
  static const auto golden = testing::fault_greedy();
  std::vector<submission> subs;
  for (int i = 0; i < n; ++i) subs.push_back(svc.submit(testing::fault_request(i)));
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(subs[i].future.wait_for(std::chrono::seconds(60)), std::future_status::ready) << i;
    auto r = subs[i].future.get();
    ASSERT_TRUE(r.ok()) << "request " << i << ": " << r.error().to_string();
    const std::vector<int> want = testing::fault_want(golden, i);
    EXPECT_EQ(r->generated_ids, want) << "request " << i;
  }
  const stats st = svc.current_stats();
  EXPECT_EQ(st.completed, n);
  EXPECT_EQ(st.failed, 0);
}

class BatchTimeout : public ::testing::TestWithParam<std::string> {};

TEST_P(BatchTimeout, HungExecutorIsFailedAndItsRequestsCompleteOnce) {
  BINSERVE_REQUIRE_SHARED(testing::kFaultModel);
  service_setup c = timeout_config(GetParam());
  c.faults.stall_executor_after_n_steps = 3;
  auto svc = start_service(c);
  ASSERT_TRUE(svc.ok()) << svc.error().to_string();
  expect_all_complete(**svc, 48);
  const stats st = (*svc)->current_stats();
  EXPECT_EQ(st.executor_failures, 1) << "the one stall, and no batch of the live executors";
  EXPECT_GT(st.requeued, 0);
  ASSERT_FALSE(st.nodes.empty());
  EXPECT_EQ(st.nodes[0].executor_failures, 1);
}

TEST_P(BatchTimeout, SlowButProgressingExecutorIsNotFailed) {
  BINSERVE_REQUIRE_SHARED(testing::kFaultModel);
  service_setup c = timeout_config(GetParam());
  c.faults.step_delay_ms = 15;  // a batch: 12 steps at most, 0.18 s, well within the deadline
  c.limits.batch_timeout_floor_ms = 1000;
  auto svc = start_service(c);
  ASSERT_TRUE(svc.ok()) << svc.error().to_string();
  expect_all_complete(**svc, 48);
  EXPECT_EQ((*svc)->current_stats().executor_failures, 0);
  EXPECT_EQ((*svc)->current_stats().requeued, 0);
}

INSTANTIATE_TEST_SUITE_P(Policies, BatchTimeout, ::testing::Values("vanilla", "continuous"));

// Issue 14: a deadline measures a lack of progress, not a batch's length. The
// executor's first batch (no pace known: the floor alone) runs 30 slow steps,
// about 4 times the floor, each well under it: it streams tokens all along,
// so it is not hung.
TEST(BatchTimeout, LongStaticBatchOfSlowStepsIsNotHungBeforeAnyPaceIsKnown) {
  BINSERVE_REQUIRE_SHARED(testing::kFaultModel);
  constexpr int kTokens = 30;
  service_setup c = timeout_config("vanilla");
  c.executors = 1;
  c.limits.max_new_tokens = kTokens;
  c.faults.step_delay_ms = 40;                  // 31 steps: about 1.25 s in all, the floor is 0.3 s
  c.policy.max_wait = std::chrono::seconds(1);  // the four requests make one full batch
  auto svc = start_service(c);
  ASSERT_TRUE(svc.ok()) << svc.error().to_string();
  const std::vector<std::string> prompts(testing::kFaultPrompts.begin(), testing::kFaultPrompts.begin() + 4);
  const auto golden = testing::direct_greedy(testing::shared_path(testing::kFaultModel), prompts, kTokens);
  std::vector<submission> subs;
  for (const std::string& p : prompts) subs.push_back((*svc)->submit({.prompt = p, .max_new_tokens = kTokens}));
  for (size_t i = 0; i < subs.size(); ++i) {
    ASSERT_EQ(subs[i].future.wait_for(std::chrono::seconds(30)), std::future_status::ready) << i;
    auto r = subs[i].future.get();
    ASSERT_TRUE(r.ok()) << prompts[i] << ": " << r.error().to_string();
    EXPECT_EQ(r->generated_ids, golden[i]) << prompts[i];
  }
  const stats st = (*svc)->current_stats();
  EXPECT_EQ(st.executor_failures, 0);
  EXPECT_EQ(st.requeued, 0);
  EXPECT_EQ(st.failed, 0);
  ASSERT_EQ(st.nodes.size(), 1u);
  EXPECT_EQ(st.nodes[0].batches, 1) << "one batch of four, run once";
}

TEST(BatchTimeout, FaultNamesTheTimeoutAndTheLocalExecutorIsReplaced) {
  BINSERVE_REQUIRE_SHARED(testing::kFaultModel);
  service_setup c = timeout_config("vanilla");
  c.executors = 1;
  c.limits.max_executor_failures = 0;  // the first failure is final: its text reaches the caller
  c.faults.stall_executor_after_n_steps = 2;
  auto svc = start_service(c);
  ASSERT_TRUE(svc.ok()) << svc.error().to_string();
  auto hung = (*svc)->submit({.prompt = "Once upon a time", .max_new_tokens = testing::kFaultLongest});
  ASSERT_EQ(hung.future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  auto r = hung.future.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), error_code::backend_failure);
  EXPECT_NE(r.error().message().find("local executor timed out after"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("no estimate yet"), std::string::npos) << r.error().message();
  // Once the hung executor exits, a fresh one on its backend serves again.
  auto ok = (*svc)->submit({.prompt = "Once upon a time", .max_new_tokens = 3});
  ASSERT_EQ(ok.future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_TRUE(ok.future.get().ok());
  EXPECT_EQ((*svc)->current_stats().executor_failures, 1);
}

}  // namespace
}  // namespace binserve
