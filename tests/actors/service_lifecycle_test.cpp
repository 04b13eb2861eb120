// Cancel, deadline, overload, invalid input and shutdown-with-drain: every
// accepted request ends in exactly one final value, and nothing is lost.
#include <atomic>

#include <gtest/gtest.h>

#include "actors/trace_replay.hpp"
#include "binserve/service.hpp"

namespace binserve {
namespace {

using namespace std::chrono_literals;

service_config dummy_config(const std::string& model = "dummy:stories15m") {
  service_config c;
  c.model = model;
  c.policy.kind = policy_kind::vanilla;
  c.policy.batch_size = 1;
  c.policy.max_wait = 1ms;
  c.limits.max_new_tokens = 600;
  return c;
}

request long_request() {
  request r;
  r.prompt = "a request that takes a while";
  r.max_new_tokens = 600;
  return r;
}

// `r` submitted to generate exactly max_new_tokens tokens.
submission submit_exact(service& svc, request r, token_callback on_token = {}) {
  const int n = r.max_new_tokens;
  return submit_replay(svc, std::move(r), {.target_length = n}, std::move(on_token));
}

std::unique_ptr<service> start(const service_config& c) {
  auto svc = service::start(c);
  EXPECT_TRUE(svc.ok()) << svc.error().to_string();
  return std::move(svc).value();
}

TEST(ServiceLifecycle, CancelEndsARunningRequestAndFreesItsExecutor) {
  auto svc = start(dummy_config());
  std::promise<void> started;
  std::atomic<bool> once{false};
  auto sub = submit_exact(*svc, long_request(), [&](request_id, const generated_token&) {
    if (!once.exchange(true)) started.set_value();
  });
  started.get_future().wait();
  svc->cancel(sub.id);
  auto r = sub.future.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), error_code::cancelled);
  request quick;
  quick.prompt = "next";
  quick.max_new_tokens = 5;
  auto next = svc->submit(quick).future.get();
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  const stats s = svc->current_stats();
  EXPECT_EQ(s.cancelled, 1);
  EXPECT_EQ(s.completed, 1);
}

TEST(ServiceLifecycle, DeadlineEndsASlowRequestWithTimedOut) {
  auto svc = start(dummy_config());
  request r = long_request();
  r.deadline = 100ms;
  const auto t0 = std::chrono::steady_clock::now();
  auto out = submit_exact(*svc, r).future.get();
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), error_code::timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(svc->current_stats().timed_out, 1);
}

TEST(ServiceLifecycle, FullQueueRejectsExplicitlyAndServesTheRest) {
  service_config c = dummy_config("dummy:stories260k");
  c.limits.queue_capacity = 3;
  auto svc = start(c);
  request r;
  r.prompt = "x";
  r.max_new_tokens = 200;
  std::vector<submission> subs;
  for (int i = 0; i < 12; ++i) subs.push_back(submit_exact(*svc, r));
  int ok = 0, overloaded = 0;
  for (auto& s : subs) {
    auto out = s.future.get();
    if (out.ok())
      ++ok;
    else if (out.error().code() == error_code::overloaded)
      ++overloaded;
  }
  EXPECT_EQ(ok + overloaded, 12);  // each got exactly one final value
  EXPECT_GE(overloaded, 1);
  EXPECT_GE(ok, 3);
  EXPECT_EQ(svc->current_stats().rejected, overloaded);
}

TEST(ServiceLifecycle, InvalidRequestsGetClearErrors) {
  service_config c = dummy_config("dummy:stories260k");
  c.limits.max_new_tokens = 64;
  auto svc = start(c);
  request too_many;
  too_many.prompt = "x";
  too_many.max_new_tokens = 65;
  EXPECT_EQ(svc->submit(too_many).future.get().error().code(), error_code::input_too_large);
  request too_long;
  too_long.prompt = std::string(2000, 'a');  // byte tokens: past the 512-token context
  EXPECT_EQ(svc->submit(too_long).future.get().error().code(), error_code::input_too_large);
  request bad_ids;
  bad_ids.prompt_ids = {1, 99999};
  EXPECT_EQ(svc->submit(bad_ids).future.get().error().code(), error_code::invalid_argument);
}

// The scheduling fields through the embedding API: out of bounds refused
// naming the field; a hint within max_new_tokens (resolved from the
// deployment when the request leaves it at 0) reaches the predictor, which
// (oracle, hint_weight 1 by default) predicts it as it is.
TEST(ServiceLifecycle, PriorityAndLengthHintAreCheckedAndTheHintIsPredicted) {
  service_config c = dummy_config("dummy:stories260k");
  c.limits.max_new_tokens = 64;
  auto svc = start(c);
  const auto error_of = [&](const request& r) {
    auto out = svc->submit(r).future.get();
    EXPECT_FALSE(out.ok());
    return out.ok() ? status() : out.error();
  };
  const request ok{.prompt = "x", .max_new_tokens = 20};
  request r = ok;
  r.priority = 1001;
  EXPECT_EQ(error_of(r).code(), error_code::invalid_argument);
  EXPECT_EQ(error_of(r).message().rfind("priority", 0), 0u) << error_of(r).to_string();
  r = ok;
  r.length_hint = 21;
  EXPECT_EQ(error_of(r).code(), error_code::invalid_argument);
  EXPECT_EQ(error_of(r).message().rfind("length_hint", 0), 0u) << error_of(r).to_string();
  r = ok;
  r.priority = -1000;
  r.length_hint = 17;
  auto out = submit_replay(*svc, r, {.target_length = 5}).future.get();
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  EXPECT_EQ(out->predicted_length, 17);
  EXPECT_EQ(out->generated_ids.size(), 5u);
  r.max_new_tokens = 0;  // the deployment's 64
  r.length_hint = 64;
  out = svc->submit(r).future.get();
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  EXPECT_EQ(out->predicted_length, 64);
}

TEST(ServiceLifecycle, ShutdownDrainsEveryAcceptedRequest) {
  service_config c = dummy_config("dummy:stories260k");
  c.policy.batch_size = 3;
  auto svc = start(c);
  request r;
  r.prompt = "drain me";
  r.max_new_tokens = 50;
  std::vector<submission> subs;
  for (int i = 0; i < 10; ++i) subs.push_back(submit_exact(*svc, r));
  svc->shutdown();
  for (auto& s : subs) {
    ASSERT_EQ(s.future.wait_for(0s), std::future_status::ready);
    auto out = s.future.get();
    ASSERT_TRUE(out.ok()) << out.error().to_string();
    EXPECT_EQ(out->generated_ids.size(), 50u);
  }
  EXPECT_EQ(svc->submit(r).future.get().error().code(), error_code::shutting_down);
}

TEST(ServiceLifecycle, BadConfigIsConfigInvalid) {
  service_config c = dummy_config("dummy:stories260k");
  c.policy.batch_size = 0;
  auto svc = service::start(c);
  ASSERT_FALSE(svc.ok());
  EXPECT_EQ(svc.error().code(), error_code::config_invalid);
  EXPECT_NE(svc.error().message().find("policy.batch_size"), std::string::npos);
}

}  // namespace
}  // namespace binserve
