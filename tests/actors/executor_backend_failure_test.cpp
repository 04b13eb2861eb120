// A backend that fails takes its executor out, never the requests at once
// and never with a made-up token: the executor exits naming the failure,
// the scheduler re-queues its jobs on a fresh executor (same backend) and
// they complete with the text of an undisturbed greedy run, or end with one
// backend_failure once they have lost limits.max_executor_failures
// executors. A backend broken for good is retired while another executor
// serves; an error about one request's input fails that request only.
// Real stories260K behind tests/failing_backend.hpp, through the actor
// pipeline (tests/backend_pipeline.hpp).
#include <gtest/gtest.h>

#include "tests/backend_pipeline.hpp"
#include "tests/failing_backend.hpp"
#include "tests/fault_service.hpp"
#include "tests/policy_named.hpp"

namespace binserve {
namespace {

using testing::backend_faults;
using testing::backend_pipeline;
using testing::failing_backend;

std::shared_ptr<const model> stories() { return testing::fault_model(); }

std::shared_ptr<failing_backend> failing(backend_faults faults) {
  auto b = make_backend(stories(), backend_options{.threads = 1});
  EXPECT_TRUE(b.ok()) << b.error().to_string();
  return std::make_shared<failing_backend>(std::move(*b), faults);
}

testing::pipeline_options options(const std::string& policy) {
  testing::pipeline_options o;
  o.policy.kind = testing::policy_named(policy);
  o.policy.batch_size = 4;
  o.policy.max_batch_size = 4;
  o.policy.max_wait = std::chrono::milliseconds(2);
  return o;
}

// Submits testing::fault_request(i) for i in [0, n): 1 to 12 tokens of six prompts.
std::vector<request_id> submit_load(backend_pipeline& p, int n) {
  std::vector<request_id> ids;
  for (int i = 0; i < n; ++i) {
    const request r = testing::fault_request(i);
    ids.push_back(p.submit(r.prompt, r.max_new_tokens));
  }
  return ids;
}

// Request `id` (the i-th of the load) ended once, with the greedy text, and
// its client was streamed exactly those tokens, each index once.
void expect_completed(backend_pipeline& p, request_id id, int i) {
  static const auto golden = testing::fault_greedy();
  const auto finals = p.sink().finals(id);
  ASSERT_EQ(finals.size(), 1u) << "request " << i << ": one final value";
  ASSERT_TRUE(finals[0].ok()) << "request " << i << ": " << finals[0].error().to_string();
  const std::vector<int> want = testing::fault_want(golden, i);
  EXPECT_EQ(finals[0]->generated_ids, want) << "request " << i;
  std::vector<int> streamed;
  for (const auto& [index, token] : p.sink().tokens(id)) {
    EXPECT_EQ(index, static_cast<int>(streamed.size())) << "request " << i;
    streamed.push_back(token);
  }
  EXPECT_EQ(streamed, want) << "request " << i << ": streamed tokens";
}

// A fault that happens once: every request completes; one executor died.
void expect_one_failure_survived(const testing::pipeline_options& o, backend_faults faults) {
  BINSERVE_REQUIRE_SHARED(testing::kFaultModel);
  backend_pipeline p(o, {failing(faults)});
  const auto ids = submit_load(p, 12);
  ASSERT_TRUE(p.sink().wait(ids.size(), std::chrono::seconds(60))) << "a request got no final value";
  int rerun = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    expect_completed(p, ids[i], static_cast<int>(i));
    const auto finals = p.sink().finals(ids[i]);
    rerun += !finals.empty() && finals[0].ok() && finals[0]->retries > 0;
  }
  const stats st = p.current_stats();
  EXPECT_EQ(st.executor_failures, 1);
  EXPECT_GT(st.requeued, 0);
  EXPECT_GT(rerun, 0) << "the failed executor's jobs ran again";
}

class BackendFailure : public ::testing::TestWithParam<std::string> {};

TEST_P(BackendFailure, AFailedSampleStreamsNoTokenAndItsJobsCompleteOnAFreshExecutor) {
  expect_one_failure_survived(options(GetParam()), {.fail_sample_at = 5});
}

TEST_P(BackendFailure, AFailedForwardTakesTheExecutorOutAndItsJobsCompleteOnAFreshExecutor) {
  expect_one_failure_survived(options(GetParam()), {.fail_forward_at = 5});
}

INSTANTIATE_TEST_SUITE_P(Policies, BackendFailure, ::testing::Values("vanilla", "continuous"));

TEST(BackendFailure, ABackendBrokenForGoodEndsEachRequestWithOneBackendFailure) {
  BINSERVE_REQUIRE_SHARED(testing::kFaultModel);
  auto p = std::make_unique<backend_pipeline>(
      options("vanilla"), std::vector<std::shared_ptr<backend>>{failing({.fail_forward_at = 3, .sticky = true})});
  auto ids = submit_load(*p, 12);
  ASSERT_TRUE(p->sink().wait(ids.size(), std::chrono::seconds(60))) << "a request got no final value";
  ids.push_back(p->submit("Once upon a time", 2));  // after the breakdown: fails too, never waits
  ASSERT_TRUE(p->sink().wait(ids.size(), std::chrono::seconds(60))) << "the last request got no final value";
  int failed = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto finals = p->sink().finals(ids[i]);
    ASSERT_EQ(finals.size(), 1u) << "request " << i << ": one final value";
    if (finals[0].ok() && i < 12) {
      expect_completed(*p, ids[i], static_cast<int>(i));  // finished within the first 2 forwards
      continue;
    }
    ++failed;
    const status& e = finals[0].error();
    EXPECT_EQ(e.code(), error_code::backend_failure) << e.to_string();
    EXPECT_NE(e.message().find("3 executors failed"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("injected backend fault: forward 3"), std::string::npos) << e.message();
  }
  EXPECT_GE(failed, 9) << "only requests done within the first 2 forwards complete";
  EXPECT_GE(p->current_stats().executor_failures, 3);
  p.reset();  // shuts down: a hang here is the test's (ctest's) timeout
}

TEST(BackendFailure, ABackendBrokenForGoodIsRetiredWhileAnotherExecutorServes) {
  BINSERVE_REQUIRE_SHARED(testing::kFaultModel);
  backend_pipeline p(options("vanilla"), {failing({.fail_forward_at = 1, .sticky = true}), failing({})});
  const auto ids = submit_load(p, 24);
  ASSERT_TRUE(p.sink().wait(ids.size(), std::chrono::seconds(60))) << "a request got no final value";
  for (std::size_t i = 0; i < ids.size(); ++i) expect_completed(p, ids[i], static_cast<int>(i));
  const stats st = p.current_stats();
  EXPECT_EQ(st.executor_failures, 1) << "the broken backend got one executor, not a fresh one per batch";
  ASSERT_FALSE(st.nodes.empty());
  EXPECT_EQ(st.nodes[0].executors, 1);
  EXPECT_NE(st.nodes[0].problem.find("1 backend(s) retired"), std::string::npos) << st.nodes[0].problem;
  EXPECT_NE(st.nodes[0].problem.find("injected backend fault: forward 1"), std::string::npos) << st.nodes[0].problem;
}

TEST(BackendFailure, ASequenceTheKvCacheCannotHoldFailsAloneAndTheExecutorServesOn) {
  BINSERVE_REQUIRE_SHARED(testing::kFaultModel);
  const tokenizer tok(stories()->vocab);
  const std::string long_prompt = "Once upon a time, there was a little girl named Lily. She liked to play";
  const int long_len = static_cast<int>(tok.encode(long_prompt).size());
  // The long prompt's sequence takes 2 decode steps (3 tokens), the short
  // ones all they need (8 tokens: 7 decode steps).
  const int max_positions = long_len + 2;
  testing::pipeline_options o = options("vanilla");
  o.policy.max_wait = std::chrono::seconds(10);  // one batch of the four
  backend_pipeline p(o, {failing({.max_positions = max_positions})});
  std::vector<request_id> ids;
  for (int i = 0; i < 3; ++i) {
    const request r = testing::fault_request(i);
    ASSERT_LE(tok.encode(r.prompt).size() + 8, std::size_t(max_positions)) << r.prompt;
    ids.push_back(p.submit(r.prompt, 8));
  }
  const request_id too_long = p.submit(long_prompt, 8);
  ASSERT_TRUE(p.sink().wait(4, std::chrono::seconds(60))) << "a request got no final value";
  static const auto golden = testing::fault_greedy();
  for (int i = 0; i < 3; ++i) {
    const auto finals = p.sink().finals(ids[i]);
    ASSERT_EQ(finals.size(), 1u);
    ASSERT_TRUE(finals[0].ok()) << "request " << i << " failed with the other: " << finals[0].error().to_string();
    const auto& full = golden[i];
    EXPECT_EQ(finals[0]->generated_ids,
              std::vector<int>(full.begin(), full.begin() + std::min<size_t>(8, full.size())));
    EXPECT_EQ(finals[0]->retries, 0) << "no executor died under it";
  }
  const auto failed = p.sink().finals(too_long);
  ASSERT_EQ(failed.size(), 1u);
  ASSERT_FALSE(failed[0].ok());
  EXPECT_EQ(failed[0].error().code(), error_code::out_of_memory) << failed[0].error().to_string();
  EXPECT_NE(failed[0].error().message().find("cannot grow past"), std::string::npos);
  EXPECT_EQ(p.sink().tokens(too_long).size(), 3u) << "its tokens before the refused step";
  // The same executor serves the next request.
  const request_id next = p.submit("The cat sat", 3);
  ASSERT_TRUE(p.sink().wait(5, std::chrono::seconds(60)));
  const auto next_final = p.sink().finals(next);
  ASSERT_EQ(next_final.size(), 1u);
  EXPECT_TRUE(next_final[0].ok());
  EXPECT_EQ(p.current_stats().executor_failures, 0);
}

}  // namespace
}  // namespace binserve
