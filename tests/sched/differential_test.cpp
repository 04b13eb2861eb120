// The simulator and the actors drive the same scheduling core, so the same
// workload gives the same decisions through both, for every policy: the
// differential test of sched/'s two drivers. Continuous policies
// (sched/core.hpp): the same plans (admissions, parks, evictions, steps).
// Binned policies (sched/bin.hpp, sched/batch_core.hpp): the same batches
// (executor, bin, cap, requests), in the same order.
//
// Actors: the service's pipeline on a deterministic backend (the null
// backend: no compute, every request generates exactly its target length),
// whose forward k blocks until the requests due during step k have reached
// the scheduler (continuous) or settled in their bins (binned: pushed, no
// flush timer pending; one at a time, so their arrival order is the
// submission order). Simulator: the same requests, arriving during step k
// (at k - 0.5 s, binned: plus 0.01 s per earlier request of that step) with
// every step costing 1 s. Oracle predictions in both (no overflow, so no
// retry races the end of its batch). Continuous: SJF without aging (its only
// clock-dependent rule), a starvation guard and a preemption bound that
// bind. Binned: max_wait 0 (a bin's requests may leave at once), so which
// batch runs next depends only on arrivals and batch ends.
#include <condition_variable>
#include <map>
#include <mutex>
#include <sstream>

#include <gtest/gtest.h>

#include "gpu/null_backend.hpp"
#include "sim/simulator.hpp"
#include "tests/backend_pipeline.hpp"
#include "tests/policy_named.hpp"

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
  p.kind = testing::policy_named(kind);
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
  std::span<const float> layer_states(int i) const override { return inner_->layer_states(i); }
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
  j.gen.max_new_tokens = kMaxNew;
  j.gen.target_length = kWorkload[i].length;
  j.known_length = kWorkload[i].length;
  j.gen.ignore_eos = true;
  return j;
}

// The null backend on dummy stories260k, its forward k first calling hook(k).
std::shared_ptr<backend> gated_null_backend(std::function<void(int)> hook) {
  auto m = load_model("dummy:stories260k");
  EXPECT_TRUE(m.ok()) << m.error().to_string();
  auto model = std::make_shared<const binserve::model>(std::move(*m));
  auto inner = make_backend(model, backend_options{.kind = backend_kind::null});
  EXPECT_TRUE(inner.ok()) << inner.error().to_string();
  return std::make_shared<gated_backend>(std::move(*inner), std::move(hook));
}

// The simulator's workload: request i arrives during its step (at step -
// 0.5 s; with `spread`, plus 0.01 s per earlier request of its step).
tools::workload workload_of(const std::vector<planned_request>& planned, int prompt_tokens, bool spread) {
  tools::workload w;
  std::map<int, int> earlier;  // requests of each step so far
  for (const planned_request& r : planned) {
    example e;
    e.length = r.length;
    w.requests.push_back(e);
    const double offset = spread ? 0.01 * earlier[r.step]++ : 0.0;
    w.arrival_s.push_back(r.step == 0 ? 0.0 : r.step - 0.5 + offset);
    w.prompt_tokens.push_back(prompt_tokens);
  }
  return w;
}

std::vector<std::string> through_actors(const std::string& kind) {
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
  testing::backend_pipeline p(o, {gated_null_backend(hook)});
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
  const auto result = sim::simulate(c, sim::cost_model::unit(1.0), workload_of(kWorkload, prompt_tokens, false));
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
    const bool preempted = std::any_of(actors.begin(), actors.end(),
                                       [](const std::string& s) { return s.find(" park ") != std::string::npos; });
    EXPECT_TRUE(preempted) << "the workload makes SRPT preempt";
  }
}

// ---- binned policies ------------------------------------------------------------

// Arrivals spread over several batches, some during a batch's last step
// (so they join the next batch), some batches partial; the executor is
// never idle (its forwards count the steps).
const std::vector<planned_request> kBinnedWorkload = {
    {4, 0},  {3, 4},   {2, 4},  {9, 7},  {14, 8},  {5, 10}, {1, 12}, {7, 13},
    {4, 17}, {11, 20}, {2, 25}, {6, 27}, {13, 31}, {3, 33}, {8, 36}, {10, 38},
};

std::string text_of(const sched::batch_run& b) {
  std::ostringstream o;
  o << "e" << b.executor << " bin " << b.bin << " cap " << b.cap << " ids";
  for (request_id id : b.ids) o << " " << id;
  return o.str();
}

policy_config binned_policy_of(const std::string& kind) {
  policy_config p;
  p.kind = testing::policy_named(kind);
  p.batch_size = 2;
  p.max_batch_size = 4;
  p.bins = 3;
  for (const planned_request& r : kBinnedWorkload) p.length_sample.push_back(r.length);
  p.bin_width = 5;
  p.kv_token_budget = 20;  // sequence's VBS: cap 5 batches 4, caps 10 and 15 batch 2
  p.max_wait = std::chrono::milliseconds(0);
  return p;
}

job binned_job_of(int i) {
  job j = job_of(0);
  j.gen.target_length = j.known_length = kBinnedWorkload[i].length;
  return j;
}

// What the bins have seen, shared with their threads.
struct settled {
  std::mutex mu;
  std::condition_variable cv;
  int pushes = 0;
  std::map<int, bool> armed;  // by bin
  std::vector<std::string> batches;
  bool quiet(int submitted) const {
    return pushes == submitted && std::none_of(armed.begin(), armed.end(), [](const auto& b) { return b.second; });
  }
};

std::vector<std::string> binned_through_actors(const std::string& kind) {
  auto seen = std::make_shared<settled>();
  testing::backend_pipeline* pipeline = nullptr;
  int submitted = 0;
  auto submit_and_settle = [&](int i, std::unique_lock<std::mutex>& lock) {
    pipeline->submit(binned_job_of(i));
    ++submitted;
    seen->cv.wait(lock, [&] { return seen->quiet(submitted); });
  };
  // Forward k: the requests due during step k settle in their bins first.
  auto hook = [&, seen](int k) {
    std::unique_lock lock(seen->mu);
    for (int i = 0; i < static_cast<int>(kBinnedWorkload.size()); ++i)
      if (kBinnedWorkload[i].step == k) submit_and_settle(i, lock);
  };
  testing::pipeline_options o;
  o.policy = binned_policy_of(kind);
  o.max_new_tokens = kMaxNew;
  o.predictor.kind = "oracle";
  o.on_bin = [seen](int bin, bool pushed, bool armed) {
    std::lock_guard lock(seen->mu);
    seen->pushes += pushed;
    seen->armed[bin] = armed;
    seen->cv.notify_all();
  };
  o.on_batch = [seen](const sched::batch_run& b) {
    std::lock_guard lock(seen->mu);
    seen->batches.push_back(text_of(b));
  };
  testing::backend_pipeline p(o, {gated_null_backend(hook)});
  pipeline = &p;
  {
    std::unique_lock lock(seen->mu);  // the hook may run as soon as request 0 runs
    submit_and_settle(0, lock);
  }
  EXPECT_TRUE(p.sink().wait(kBinnedWorkload.size(), std::chrono::seconds(60))) << "a request got no final value";
  p.shutdown();
  std::lock_guard lock(seen->mu);
  return seen->batches;
}

std::vector<std::string> binned_through_simulator(const std::string& kind, int prompt_tokens) {
  sim::sim_config c;
  c.policy = binned_policy_of(kind);
  c.predictor.kind = "oracle";
  c.max_new_tokens = kMaxNew;
  std::vector<std::string> batches;
  c.on_batch = [&batches](const sched::batch_run& b) { batches.push_back(text_of(b)); };
  const auto result = sim::simulate(c, sim::cost_model::unit(1.0), workload_of(kBinnedWorkload, prompt_tokens, true));
  EXPECT_TRUE(result.ok()) << result.error().to_string();
  return batches;
}

class BinnedDifferential : public ::testing::TestWithParam<std::string> {};

TEST_P(BinnedDifferential, TheSimulatorAndTheActorsRunTheSameBatches) {
  const std::vector<std::string> actors = binned_through_actors(GetParam());
  const tokenizer tok(load_model("dummy:stories260k")->vocab);
  const std::vector<std::string> simulated =
      binned_through_simulator(GetParam(), static_cast<int>(tok.encode(kPrompt).size()));
  ASSERT_GE(actors.size(), kBinnedWorkload.size() / 4) << "the workload makes batches";
  EXPECT_EQ(actors, simulated);
}

INSTANTIATE_TEST_SUITE_P(EveryBinnedPolicy, BinnedDifferential, ::testing::Values("vanilla", "multibin", "sequence"));

INSTANTIATE_TEST_SUITE_P(EveryContinuousPolicy, SchedDifferential, ::testing::ValuesIn([] {
                           std::vector<std::string> names;
                           for (const policy_kind kind : sched::continuous_policies()) names.push_back(name_of(kind));
                           return names;
                         }()),
                         testing::policy_test_name);

}  // namespace
}  // namespace binserve
