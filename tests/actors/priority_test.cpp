// request::priority end to end: a higher class is scheduled before a lower
// one, under a binned policy (the bins' takes and the scheduler's pull
// order) as under a continuous one (the core's ranking, which preempts).
// Real stories260K through the actor pipeline (tests/backend_pipeline.hpp),
// one executor whose first request keeps it busy while the others queue.
#include <algorithm>
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "tests/backend_pipeline.hpp"
#include "tests/fault_service.hpp"
#include "tests/policy_named.hpp"

namespace binserve {
namespace {

std::shared_ptr<backend> cpu() {
  auto b = make_backend(testing::fault_model(), backend_options{.threads = 1});
  EXPECT_TRUE(b.ok()) << b.error().to_string();
  return std::move(*b);
}

class Priority : public ::testing::TestWithParam<std::string> {};

// A long request runs; then a short one of class 0 and a longer one of
// class 1 arrive (in that order). Class 1 ends first; within class 0 a
// length-aware policy puts the short request before the long running one.
TEST_P(Priority, AHigherClassRunsBeforeEarlierAndShorterRequestsOfALowerOne) {
  BINSERVE_REQUIRE_SHARED(testing::kFaultModel);
  testing::pipeline_options o;
  o.policy.kind = testing::policy_named(GetParam());
  o.policy.batch_size = o.policy.max_batch_size = 1;
  o.policy.bin_width = 10;  // sequence: the three requests in three bins
  o.policy.max_wait = std::chrono::milliseconds(0);
  o.predictor.kind = "oracle";
  o.step_delay_ms = 2;  // the first request runs for at least 0.6 s
  o.max_new_tokens = 300;
  std::atomic<int> pushed{0};  // binned: jobs the bins got
  o.on_bin = [&pushed](int, bool push, bool) { pushed += push; };
  testing::backend_pipeline p(o, {cpu()});
  auto submit = [&p](int tokens, int priority) {
    job j;
    j.prompt = "Once upon a time";
    j.gen.max_new_tokens = j.gen.target_length = j.known_length = tokens;
    j.gen.ignore_eos = true;
    j.priority = priority;
    return p.submit(std::move(j));
  };
  const request_id running = submit(300, 0);
  for (int wait = 0; wait < 10000 && p.sink().tokens(running).empty(); ++wait)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const request_id short_low = submit(2, 0);
  // Binned: the short one is in its bin first, so it is the older one there.
  for (int wait = 0; wait < 10000 && pushed < 2 && GetParam() != "continuous-srpt"; ++wait)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const request_id long_high = submit(30, 1);
  ASSERT_TRUE(p.sink().wait(3, std::chrono::seconds(60)));
  const std::vector<request_id> ended = p.sink().ended();
  const auto at = [&ended](request_id id) { return std::find(ended.begin(), ended.end(), id) - ended.begin(); };
  EXPECT_LT(at(long_high), at(short_low)) << "priority 1 runs before the earlier, shorter priority-0 request";
  if (GetParam() == "continuous-srpt") {
    EXPECT_LT(at(short_low), at(running)) << "within a class, the shorter remaining first";
  }
}

INSTANTIATE_TEST_SUITE_P(BinnedAndContinuous, Priority, ::testing::Values("vanilla", "sequence", "continuous-srpt"),
                         testing::policy_test_name);

}  // namespace
}  // namespace binserve
