// Partial batches are pulled, not pushed: while every executor is busy, bins
// whose oldest request has waited max_wait keep their requests (and gather
// later arrivals); an executor that becomes idle takes the bin whose
// expired request is oldest. Through the embedding API and its stats.
#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "actors/trace_replay.hpp"
#include "binserve/service.hpp"

namespace binserve {
namespace {

using namespace std::chrono_literals;

// One executor; bins 50 tokens wide routed by the known length (oracle),
// batch 4, every batch runs to its requests' ends (no caps), bins expire 1 ms
// after their oldest request arrives.
service_config one_executor_config() {
  service_config c;
  c.model = "dummy:stories15m";
  c.threads = 1;
  c.executors = 1;
  c.policy.kind = policy_kind::sequence;
  c.policy.bin_width = 50;
  c.policy.variable_batch = false;
  c.policy.cap_batches = false;
  c.policy.batch_size = 4;
  c.policy.max_wait = 1ms;
  c.predictor.kind = "oracle";
  c.limits.max_new_tokens = 1000;
  return c;
}

// A request of exactly `length` tokens (known to the oracle), submitted to
// bin length / 50.
submission submit_of_length(service& svc, int length, token_callback on_token) {
  request r;
  r.prompt = "Once upon a time";
  r.max_new_tokens = length;
  return submit_replay(svc, std::move(r), {.target_length = length, .known_length = length}, std::move(on_token));
}

// Polls the stats until `holds` (a condition, not a duration); false after 30 s.
bool wait_until(service& svc, const std::function<bool(const stats&)>& holds) {
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  while (!holds(svc.current_stats()))
    if (std::chrono::steady_clock::now() > give_up)
      return false;
    else
      std::this_thread::sleep_for(1ms);
  return true;
}

bool depth_is(const stats& s, int bin, int depth) { return s.bins.at(bin).queue_depth == depth; }

TEST(PartialBatches, WaitForAnIdleExecutorThenTheOldestBinGoesFirstWithItsLaterArrivals) {
  auto started = service::start(one_executor_config());
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  service& svc = **started;
  std::mutex mu;
  std::vector<request_id> token_order;  // the request of every token, as streamed
  auto log = [&](request_id id, const generated_token&) {
    std::lock_guard<std::mutex> lock(mu);
    token_order.push_back(id);
  };
  // A long request occupies the only executor (its bin expires and is pulled).
  std::promise<void> running;
  std::atomic<bool> once{false};
  auto hog = submit_of_length(svc, 1000, [&](request_id, const generated_token&) {
    if (!once.exchange(true)) running.set_value();
  });
  running.get_future().wait();
  // Bin 0 expires first, then bin 1; two later arrivals join bin 0.
  std::vector<submission> a;
  a.push_back(submit_of_length(svc, 10, log));
  ASSERT_TRUE(wait_until(svc, [](const stats& s) { return depth_is(s, 0, 1); }));
  auto b = submit_of_length(svc, 60, log);
  ASSERT_TRUE(wait_until(svc, [](const stats& s) { return depth_is(s, 1, 1); }));
  a.push_back(submit_of_length(svc, 10, log));
  a.push_back(submit_of_length(svc, 10, log));
  ASSERT_TRUE(wait_until(svc, [](const stats& s) { return depth_is(s, 0, 3); }));
  svc.cancel(hog.id);  // the executor becomes idle
  EXPECT_EQ(hog.future.get().error().code(), error_code::cancelled);
  for (auto& sub : a) ASSERT_TRUE(sub.future.get().ok());
  ASSERT_TRUE(b.future.get().ok());

  // The executor sends a batch's record to the stats actor after its results,
  // so a result can be seen before its batch is counted: wait for both batches.
  ASSERT_TRUE(wait_until(svc, [](const stats& s) { return s.bins.at(0).batches + s.bins.at(1).batches >= 2; }));
  const stats s = svc.current_stats();
  EXPECT_EQ(s.bins.at(0).batches, 1);  // pushed partial batches would be [a0] and [a1, a2]
  EXPECT_DOUBLE_EQ(s.bins.at(0).mean_batch_size, 3.0);
  EXPECT_EQ(s.bins.at(1).batches, 1);
  EXPECT_DOUBLE_EQ(s.bins.at(1).mean_batch_size, 1.0);
  // Bin 0's batch ran first: every one of its tokens streamed before b's first.
  const auto first_b = std::find(token_order.begin(), token_order.end(), b.id);
  ASSERT_NE(first_b, token_order.end());
  for (auto it = first_b; it != token_order.end(); ++it) EXPECT_EQ(*it, b.id);
  EXPECT_EQ(first_b - token_order.begin(), 3 * 10);
}

}  // namespace
}  // namespace binserve
