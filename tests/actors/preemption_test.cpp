// continuous-srpt preempts running requests for shorter ones; preempted
// sequences keep their KV cache (parked) or, when the executor's cache
// cannot hold them, are evicted and their tokens recomputed. Either way
// every request ends exactly once with the greedy text of a direct run, and
// its stream has every token once, in order. Real stories260K through the
// actor pipeline (tests/backend_pipeline.hpp).
#include <algorithm>
#include <thread>

#include <gtest/gtest.h>

#include "tests/backend_pipeline.hpp"
#include "tests/fault_service.hpp"

namespace binserve {
namespace {

std::shared_ptr<const model> stories() { return testing::fault_model(); }

// A CPU backend whose KV cache holds `blocks` blocks (0: the default).
std::shared_ptr<backend> cpu(std::int64_t blocks) {
  backend_options o{.threads = 1};
  if (blocks > 0) {
    auto probe = make_backend(stories(), o);
    EXPECT_TRUE(probe.ok());
    const kv_layout& l = (*probe)->kv().layout();
    o.kv_cache_bytes = blocks * l.block_size * l.bytes_per_token;
  }
  auto b = make_backend(stories(), o);
  EXPECT_TRUE(b.ok()) << b.error().to_string();
  return std::move(*b);
}

// The two longest requests first, then, once both run, short ones: SRPT
// preempts the long ones (two live at a time) for the short ones.
stats run_and_check(std::int64_t kv_blocks) {
  testing::pipeline_options o;
  o.policy.kind = policy_kind::continuous_srpt;
  o.policy.batch_size = o.policy.max_batch_size = 2;
  o.policy.max_preemptions = 3;
  o.predictor.kind = "oracle";
  // Steps of at least 5 ms: the long requests (12 tokens) are still running
  // when the short ones arrive, however fast the CPU kernels decode.
  o.step_delay_ms = 5;
  testing::backend_pipeline p(o, {cpu(kv_blocks)});
  static const auto golden = testing::fault_greedy();
  std::vector<int> order;  // fault_request indices: 11 and 10 are the longest
  for (int i : {11, 10, 9, 0, 1, 2, 8, 3, 4, 7, 5, 6, 23, 12, 13}) order.push_back(i);
  std::vector<request_id> ids;
  for (int i : order) {
    const request r = testing::fault_request(i);
    job j;
    j.prompt = r.prompt;
    j.gen.max_new_tokens = r.max_new_tokens;
    j.known_length = static_cast<int>(testing::fault_want(golden, i).size());
    ids.push_back(p.submit(std::move(j)));
    if (ids.size() == 2)  // the two long ones run before the short ones come
      for (int wait = 0; wait < 10000 && p.sink().tokens(ids[1]).empty(); ++wait)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(p.sink().wait(ids.size(), std::chrono::seconds(60))) << "a request got no final value";
  for (std::size_t k = 0; k < ids.size(); ++k) {
    const int i = order[k];
    const std::vector<int> want = testing::fault_want(golden, i);
    const auto finals = p.sink().finals(ids[k]);
    EXPECT_EQ(finals.size(), 1u) << "request " << i << ": exactly one final value";
    if (finals.empty()) continue;
    EXPECT_TRUE(finals[0].ok()) << "request " << i << ": " << finals[0].error().to_string();
    if (!finals[0].ok()) continue;
    EXPECT_EQ(finals[0]->generated_ids, want) << "request " << i << ": the greedy text of a direct run";
    std::vector<int> streamed;
    for (const auto& [index, token] : p.sink().tokens(ids[k])) {
      EXPECT_EQ(index, static_cast<int>(streamed.size())) << "request " << i << ": each index once, in order";
      streamed.push_back(token);
    }
    EXPECT_EQ(streamed, want) << "request " << i << ": the stream repeats or skips no token";
  }
  return p.current_stats();
}

TEST(Preemption, ParkedSequencesKeepTheirKvAndEveryRequestGetsItsGreedyTextOnce) {
  BINSERVE_REQUIRE_SHARED(testing::kFaultModel);
  const stats st = run_and_check(0);
  EXPECT_GT(st.preemptions, 0) << "the workload makes SRPT preempt";
  EXPECT_EQ(st.recomputed_tokens, 0) << "a default cache keeps every preempted sequence";
}

TEST(Preemption, EvictedSequencesAreRecomputedAndEveryRequestGetsItsGreedyTextOnce) {
  BINSERVE_REQUIRE_SHARED(testing::kFaultModel);
  // A prompt and 12 tokens take 2 blocks of 16, a short request 1: 4 blocks
  // run the two long ones, and then the two short ones and one parked long
  // one: the other is evicted.
  const stats st = run_and_check(4);
  EXPECT_GT(st.preemptions, 0) << "the workload makes SRPT preempt";
  EXPECT_GT(st.recomputed_tokens, 0) << "preempted sequences were evicted and recomputed";
}

}  // namespace
}  // namespace binserve
