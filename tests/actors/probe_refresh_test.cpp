// A probe in continuous executors: its refreshed predictions reach the
// scheduling core, which orders on them. Null backend (every sequence runs to
// max_new_tokens; its layer states are zeros), continuous-srpt with one slot:
// a long request A (oracle: 60 tokens) runs, then B (oracle: 30) arrives.
// Without a probe B's 30 is less than A's remaining and B preempts A; with a
// probe that reads "about 2 tokens to go" at every refresh, A's remaining
// stays below 30 and B waits its turn: no preemption.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "gpu/null_backend.hpp"
#include "tests/backend_pipeline.hpp"

namespace binserve {
namespace {

std::shared_ptr<const model> dummy() {
  auto m = load_model("dummy:stories260k");
  EXPECT_TRUE(m.ok());
  return std::make_shared<const model>(std::move(*m));
}

// A probe over layer 1 that has only seen sequences with 1 to 3 tokens to go.
std::shared_ptr<const probe_predictor> short_probe(int dim) {
  static const std::vector<float> zeros(dim, 0.0f);
  std::vector<probe_example> rows;
  for (int i = 0; i < 400; ++i) rows.push_back({{zeros, 16 * (i % 4), 8}, 1 + i % 3});
  probe_options o;
  o.bins = 3;
  o.mlp.hidden = 4;
  o.mlp.epochs = 3;
  auto p = probe_predictor::train(rows, {1}, 16, o, 1);
  EXPECT_TRUE(p.ok()) << p.error().to_string();
  return std::make_shared<const probe_predictor>(std::move(*p));
}

// Runs A, then B once A has made `b_after` tokens; the number of plans that
// parked or evicted a sequence.
int preemptions(bool with_probe, std::size_t b_after = 20, int step_delay_ms = 2) {
  auto m = dummy();
  backend_options bo;
  bo.kind = backend_kind::null;
  bo.state_layers = {1};
  auto b = make_backend(m, bo);
  EXPECT_TRUE(b.ok());
  std::atomic<int> preempting{0};
  testing::pipeline_options o;
  o.policy.kind = policy_kind::continuous_srpt;
  o.policy.batch_size = o.policy.max_batch_size = 1;
  o.predictor.kind = "oracle";
  o.max_new_tokens = 64;
  o.step_delay_ms = step_delay_ms;
  o.on_plan = [&](const sched::step_plan& p) { preempting += !p.park.empty() || !p.evict.empty(); };
  if (with_probe) o.probe = {short_probe(m->config.dim), 16};
  testing::backend_pipeline p(o, {std::shared_ptr<backend>(std::move(*b))});
  job a;
  a.prompt = "Once upon a time";
  a.gen.max_new_tokens = a.known_length = 60;
  const request_id ida = p.submit(std::move(a));
  for (int wait = 0; wait < 5000 && p.sink().tokens(ida).size() < b_after; ++wait)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  job bj;
  bj.prompt = "There was a cat";
  bj.gen.max_new_tokens = bj.known_length = 30;
  p.submit(std::move(bj));
  EXPECT_TRUE(p.sink().wait(2, std::chrono::seconds(30)));
  EXPECT_EQ(p.sink().tokens(ida).size(), 60u);
  return preempting;
}

TEST(ProbeRefresh, RefreshedPredictionsReachTheCoreAndSpareARequestAboutToEnd) {
  EXPECT_GE(preemptions(false), 1) << "without a probe, the shorter arrival preempts";
  EXPECT_EQ(preemptions(true), 0) << "the probe says A is about to end: B waits";
}

// The probe reads a sequence at its admission step (0 tokens made), as it was
// trained (tools/predictor_collect.cpp: the tokens before the one sampled):
// B, arriving after A's first token and before its 16th, already finds A
// about to end. (Were the first reading at 16 tokens, A's oracle 60 would
// stand until then and B would preempt it.)
TEST(ProbeRefresh, TheAdmissionStepIsReadBeforeTheFirstInterval) {
  EXPECT_GE(preemptions(false, 1, 10), 1) << "without a probe, the shorter arrival preempts";
  EXPECT_EQ(preemptions(true, 1, 10), 0) << "A was read at admission: B waits";
}

}  // namespace
}  // namespace binserve
