// Every message type's inspect() carries every field: what remote executors
// (CAF's network layer) will serialize.
#include "actors/messages.hpp"

#include <gtest/gtest.h>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

namespace binserve {
namespace {

template <class T>
T round_trip(caf::actor_system& sys, T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  EXPECT_FALSE(sink(x));
  T y;
  caf::binary_deserializer source{sys, buf};
  EXPECT_FALSE(source(y));
  return y;
}

TEST(Messages, JobsAndBatchesSurviveSerialization) {
  caf::actor_system_config cfg;
  add_message_types(cfg);
  caf::actor_system sys{cfg};
  job j;
  j.id = 42;
  j.client = "tcp:3";
  j.prompt = "Once upon a time";
  j.gen.prompt_ids = {1, 403, 407};
  j.gen.sampling = {0.5f, 0.9f, 7};
  j.gen.rules = {0.25f, -0.5f, {{4, 1.5f}}, 3};
  j.gen.stop = {"\n", "END"};
  j.gen.ignore_eos = true;
  j.gen.logprobs = 2;
  j.gen.max_new_tokens = 300;
  j.gen.target_length = 120;
  j.known_length = 110;
  j.priority = -7;
  j.length_hint = 90;
  j.deadline_ms = 5000;
  j.predicted_length = 130;
  j.bin = 2;
  j.retries = 1;
  j.resumed_ids = {5, 6};
  j.overflow_made = 50;
  const batch b = round_trip(sys, batch{3, 150, {j, j}});
  ASSERT_EQ(b.jobs.size(), 2u);
  EXPECT_EQ(b.bin, 3);
  EXPECT_EQ(b.cap, 150);
  const job& k = b.jobs[1];
  EXPECT_EQ(k.id, 42u);
  EXPECT_EQ(k.client, "tcp:3");  // worker nodes' retries keep their fair share
  EXPECT_EQ(k.prompt, j.prompt);
  EXPECT_EQ(k.gen.prompt_ids, j.gen.prompt_ids);
  EXPECT_EQ(k.gen.sampling.temperature, 0.5f);
  EXPECT_EQ(k.gen.sampling.top_p, 0.9f);
  EXPECT_EQ(k.gen.sampling.seed, 7u);
  EXPECT_EQ(k.gen.rules.presence_penalty, 0.25f);
  EXPECT_EQ(k.gen.rules.frequency_penalty, -0.5f);
  ASSERT_EQ(k.gen.rules.bias.size(), 1u);
  EXPECT_EQ(k.gen.rules.bias[0].token, 4);
  EXPECT_EQ(k.gen.rules.bias[0].bias, 1.5f);
  EXPECT_EQ(k.gen.rules.min_tokens, 3);
  EXPECT_EQ(k.gen.stop, j.gen.stop);
  EXPECT_TRUE(k.gen.ignore_eos);
  EXPECT_EQ(k.gen.logprobs, 2);
  EXPECT_EQ(k.gen.max_new_tokens, 300);
  EXPECT_EQ(k.gen.target_length, 120);
  EXPECT_EQ(k.known_length, 110);
  EXPECT_EQ(k.deadline_ms, 5000);
  EXPECT_EQ(k.priority, -7);  // worker nodes' retries keep their class
  EXPECT_EQ(k.length_hint, 90);
  EXPECT_EQ(k.predicted_length, 130);
  EXPECT_EQ(k.resumed_ids, j.resumed_ids);
  EXPECT_EQ(k.overflow_made, 50);  // a worker's overflow is re-binned by where it stopped
  const finished f = round_trip(sys, finished{j, {9, 8}, "stop_token", 123});
  EXPECT_EQ(f.request.retries, 1);
  EXPECT_EQ(f.generated_ids, (std::vector<int>{9, 8}));
  EXPECT_EQ(f.stop_reason, "stop_token");
  EXPECT_EQ(f.started_ns, 123);
}

TEST(Messages, StatsSurviveSerializationWithEveryField) {
  caf::actor_system_config cfg;
  add_message_types(cfg);
  caf::actor_system sys{cfg};
  stats s;
  s.completed = 10;
  s.timed_out = 2;
  s.computed_slots = 99;
  s.effective_token_ratio = 0.5;
  s.latency.p99 = 12.5;
  s.queue.mean = 3.0;
  s.tpot.mean = 4.5;
  s.bins = {bin_summary{1, 0, 50, false, 16, 50, 4, 7, 12.5}};
  const stats t = round_trip(sys, s);
  EXPECT_EQ(t.completed, 10);
  EXPECT_EQ(t.timed_out, 2);
  EXPECT_EQ(t.computed_slots, 99);
  EXPECT_EQ(t.effective_token_ratio, 0.5);
  EXPECT_EQ(t.latency.p99, 12.5);
  EXPECT_EQ(t.queue.mean, 3.0);
  EXPECT_EQ(t.tpot.mean, 4.5);
  ASSERT_EQ(t.bins.size(), 1u);
  EXPECT_EQ(t.bins[0].queue_depth, 4);
  EXPECT_EQ(t.bins[0].mean_batch_size, 12.5);
}

}  // namespace
}  // namespace binserve
