// The simulator and the actors drive the same scheduling core, so the same
// workload gives the same plans through both, for every continuous policy:
// the differential test of sched/core.hpp's two drivers.
//
// Actors: the service's pipeline on a deterministic backend (the null
// backend: no compute, every request generates exactly its target length),
// whose forward k blocks until the requests due during step k have reached
// the scheduler. Simulator: the same requests, arriving at k - 0.5 s with
// every step costing 1 s. Oracle predictions in both; SJF without aging
// (its only clock-dependent rule), a starvation guard and a preemption
// bound that bind.
#include <condition_variable>
#include <map>
#include <mutex>
#include <sstream>

#include <gtest/gtest.h>

#include "gpu/null_backend.hpp"
#include "sim/simulator.hpp"
#include "tests/backend_pipeline.hpp"

namespace binserve {
namespace {

constexpr int kMaxNew = 16;
const char* const kPrompt = "Once upon a time";

// Request i: its length and the step during which it arrives (0: at the
// start, before any step).
struct planned_request {
  int length;
  int step;
};
const std::vector<planned_request> kWorkload = {
    {12, 0}, {3, 1}, {9, 1}, {2, 2}, {14, 2}, {5, 4}, {1, 4}, {7, 5}, {4, 8}, {11, 8}, {2, 9}, {6, 12},
};

std::string text_of(const sched::step_plan& p) {
  std::ostringstream o;
  o << "e" << p.executor << (p.step ? " step" : "");
  for (request_id id : p.evict) o << " evict " << id;
  for (request_id id : p.park) o << " park " << id;
  for (const sched::admission& a : p.admit)
    o << " admit " << a.id << (a.parked ? " parked" : "") << " reserve " << a.reserve_tokens << " recompute "
      << a.recompute;
  return o.str();
}

policy_config policy_of(const std::string& kind) {
  policy_config p;
  p.kind = kind;
  p.batch_size = p.max_batch_size = 3;
  p.sjf_aging_per_s = 0;
  p.max_wait_steps = 6;
  p.max_preemptions = 2;
  return p;
}

// A backend whose forward k first calls hook(k).
class gated_backend final : public backend {
 public:
  gated_backend(std::unique_ptr<backend> inner, std::function<void(int)> hook)
      : inner_(std::move(inner)), hook_(std::move(hook)) {}
  const model& served_model() const override { return inner_->served_model(); }
  const kv_cache& kv() const override { return inner_->kv(); }
  status_or<int> open_sequence(int reserve_tokens) override { return inner_->open_sequence(reserve_tokens); }
  void close_sequence(int seq) override { inner_->close_sequence(seq); }
  status forward(std::span<const sequence_chunk> chunks) override {
    hook_(++forwards_);
    return inner_->forward(chunks);
  }
  std::span<const float> logits(int i) const override { return inner_->logits(i); }
  std::span<const float> hidden(int i) const override { return inner_->hidden(i); }
  status_or<std::vector<int>> sample(std::span<const sampling_params> params,
                                     std::span<const std::uint64_t> steps) const override {
    return inner_->sample(params, steps);
  }

 private:
  std::unique_ptr<backend> inner_;
  std::function<void(int)> hook_;
  int forwards_ = 0;
};

// What the scheduler has seen, shared with its thread.
struct observed {
  std::mutex mu;
  std::condition_variable cv;
  int arrivals = 0;
  std::vector<std::string> plans;
};

job job_of(int i) {
  job j;
  j.prompt = kPrompt;
  j.max_new_tokens = kMaxNew;
  j.target_length = kWorkload[i].length;
  j.known_length = kWorkload[i].length;
  j.ignore_eos = true;
  return j;
}

std::vector<std::string> through_actors(const std::string& kind) {
  auto m = load_model("dummy:stories260k");
  EXPECT_TRUE(m.ok()) << m.error().to_string();
  auto model = std::make_shared<const binserve::model>(std::move(*m));
  auto inner = make_backend(model, backend_options{.kind = "null"});
  EXPECT_TRUE(inner.ok()) << inner.error().to_string();
  auto seen = std::make_shared<observed>();
  testing::backend_pipeline* pipeline = nullptr;
  int submitted = 1;  // request 0 goes before any step
  // Forward k: the requests due during step k reach the scheduler first.
  auto hook = [&, seen](int k) {
    std::unique_lock lock(seen->mu);
    for (int i = 0; i < static_cast<int>(kWorkload.size()); ++i)
      if (kWorkload[i].step == k) pipeline->submit(job_of(i)), ++submitted;
    seen->cv.wait(lock, [&] { return seen->arrivals == submitted; });
  };
  testing::pipeline_options o;
  o.policy = policy_of(kind);
  o.max_new_tokens = kMaxNew;
  o.predictor.kind = "oracle";
  o.on_arrival = [seen](request_id) {
    std::lock_guard lock(seen->mu);
    ++seen->arrivals;
    seen->cv.notify_all();
  };
  o.on_plan = [seen](const sched::step_plan& p) {
    std::lock_guard lock(seen->mu);
    seen->plans.push_back(text_of(p));
  };
  testing::backend_pipeline p(o, {std::make_shared<gated_backend>(std::move(*inner), hook)});
  pipeline = &p;
  {
    std::lock_guard lock(seen->mu);  // the hook may run as soon as request 0 is planned
    p.submit(job_of(0));
  }
  EXPECT_TRUE(p.sink().wait(kWorkload.size(), std::chrono::seconds(60))) << "a request got no final value";
  p.shutdown();
  std::lock_guard lock(seen->mu);
  return seen->plans;
}

std::vector<std::string> through_simulator(const std::string& kind, int prompt_tokens) {
  sim::sim_config c;
  c.policy = policy_of(kind);
  c.predictor.kind = "oracle";
  c.max_new_tokens = kMaxNew;
  std::vector<std::string> plans;
  c.on_plan = [&plans](const sched::step_plan& p) { plans.push_back(text_of(p)); };
  tools::workload w;
  for (const planned_request& r : kWorkload) {
    example e;
    e.length = r.length;
    w.requests.push_back(e);
    w.arrival_s.push_back(r.step == 0 ? 0.0 : r.step - 0.5);
    w.prompt_tokens.push_back(prompt_tokens);
  }
  const auto result = sim::simulate(c, sim::cost_model::unit(1.0), w);
  EXPECT_TRUE(result.ok()) << result.error().to_string();
  return plans;
}

class SchedDifferential : public ::testing::TestWithParam<std::string> {};

TEST_P(SchedDifferential, TheSimulatorAndTheActorsMakeTheSamePlans) {
  const std::vector<std::string> actors = through_actors(GetParam());
  const tokenizer tok(load_model("dummy:stories260k")->vocab);
  const std::vector<std::string> simulated =
      through_simulator(GetParam(), static_cast<int>(tok.encode(kPrompt).size()));
  ASSERT_GT(actors.size(), kWorkload.size()) << "at least a plan per step";
  EXPECT_EQ(actors, simulated);
  if (GetParam() == "continuous-srpt") {
    const bool preempted = std::any_of(actors.begin(), actors.end(), [](const std::string& s) {
      return s.find(" park ") != std::string::npos;
    });
    EXPECT_TRUE(preempted) << "the workload makes SRPT preempt";
  }
}

INSTANTIATE_TEST_SUITE_P(EveryContinuousPolicy, SchedDifferential,
                         ::testing::ValuesIn(sched::continuous_policy_names()),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::erase(name, '-');
                           return name;
                         });

}  // namespace
}  // namespace binserve
