#include "sim/simulator.hpp"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <memory>
#include <queue>

#include "actors/metrics.hpp"
#include "predict/make_predictor.hpp"
#include "sched/batch_core.hpp"
#include "sched/bin.hpp"
#include "sched/bin_layout.hpp"
#include "sched/core.hpp"
#include "sim/static_batch.hpp"

namespace binserve::sim {

namespace {

using ns_t = std::int64_t;  // simulated time: nanoseconds since the start

ns_t to_ns(double seconds) { return std::llround(seconds * 1e9); }
double to_ms(ns_t t) { return double(t) / 1e6; }

struct request_state {
  int target = 0, prompt = 0, predicted = 0, retries = 0, resumed = 0;
  int generated = 0;     // continuous: tokens so far (kept across preemptions)
  int resumed_next = 0;  // resumed tokens if the current run overflows
  int cap = 0;           // the current run's cap: the tokens made if it overflows
  ns_t arrived = 0, started = 0, first_token = -1;
  bool ended = false;
};

enum class event_kind { arrival, flush, leave, retry, batch_end, step_end };

// Ties: arrivals first (so requests arriving together are there together),
// then the order events were made.
struct event {
  ns_t t;
  std::uint64_t seq;
  event_kind kind;
  int a;              // request, bin or executor
  std::uint64_t gen;  // flush: the bin timer's generation
  bool operator>(const event& o) const {
    const bool arrival = kind == event_kind::arrival, o_arrival = o.kind == event_kind::arrival;
    if (t != o.t) return t > o.t;
    return arrival != o_arrival ? o_arrival : seq > o.seq;
  }
};

template <class T>
using min_heap = std::priority_queue<T, std::vector<T>, std::greater<T>>;

// A continuous executor: its live set (in the order the core admitted it),
// and those of it to prefill at the next step.
struct executor_state {
  std::vector<int> live, joining;
};

class simulation {
 public:
  simulation(const sim_config& c, const cost_model& cost, const tools::workload& w, sched::bin_layout layout,
             std::unique_ptr<length_predictor> predictor, std::unique_ptr<sched::core> core);
  sim_result run();

 private:
  void push(ns_t t, event_kind kind, int a, std::uint64_t gen = 0);
  void handle(const event& e);
  void on_arrival(int r);
  void route(int r);
  void on_bin(int bin, const sched::bin_effects& e);
  void act(sched::batch_actions a);
  void run_batch(const sched::batch_run& b);
  void on_retry(int r);
  void complete(int r);
  void apply(const std::vector<sched::step_plan>& plans);
  void start_step(int e);
  void on_step_end(int e);
  prediction_input input_of(int r) const;

  const sim_config& c_;
  const cost_model& cost_;
  const tools::workload& w_;
  sched::bin_layout layout_;
  std::unique_ptr<length_predictor> predictor_;
  metrics metrics_;
  std::vector<request_state> req_;
  // binned: the bins and the scheduler's core (request r is id r + 1)
  std::vector<sched::bin> bins_;
  sched::batch_core batches_;
  std::vector<executor_state> exec_;
  std::unique_ptr<sched::core> core_;  // continuous: the scheduler's core (request r is id r + 1)
  min_heap<event> events_;
  std::uint64_t seq_ = 0;
  ns_t now_ = 0, last_end_ = 0;
  std::int64_t completed_ = 0;
  sim_result out_;
};

simulation::simulation(const sim_config& c, const cost_model& cost, const tools::workload& w, sched::bin_layout layout,
                       std::unique_ptr<length_predictor> predictor, std::unique_ptr<sched::core> core)
    : c_(c),
      cost_(cost),
      w_(w),
      layout_(std::move(layout)),
      predictor_(std::move(predictor)),
      metrics_(layout_.summaries()),
      req_(w.requests.size()),
      exec_(c.executors),
      core_(std::move(core)) {
  const sched::time_ns max_wait = std::chrono::nanoseconds(c.policy.max_wait).count();
  for (const sched::bin_spec& spec : layout_.bins()) bins_.emplace_back(spec, max_wait);
  for (size_t r = 0; r < req_.size(); ++r) {
    const example& e = w.requests[r];
    req_[r].target = e.length;
    req_[r].prompt = r < w.prompt_tokens.size() ? w.prompt_tokens[r]
                     : !e.prompt_ids.empty()    ? static_cast<int>(e.prompt_ids.size())
                                                : c.prompt_tokens;
    req_[r].prompt = std::max(req_[r].prompt, 1);
  }
}

void simulation::push(ns_t t, event_kind kind, int a, std::uint64_t gen) { events_.push({t, seq_++, kind, a, gen}); }

sim_result simulation::run() {
  for (int e = 0; e < c_.executors; ++e) {
    if (core_)
      apply(core_->add_executor(e, {c_.policy.max_batch_size, c_.kv_blocks, c_.kv_block_size, 0}, now_));
    else
      act(batches_.add_executor(e));
  }
  push(to_ns(w_.arrival_s[0]), event_kind::arrival, 0);
  while (!events_.empty()) {
    const event e = events_.top();
    events_.pop();
    now_ = e.t;
    handle(e);
  }
  if (core_) metrics_.on_preemptions(core_->counters().preemptions, core_->counters().recomputed_tokens);
  out_.snapshot = metrics_.snapshot(double(last_end_) / 1e9);
  return out_;
}

void simulation::handle(const event& e) {
  switch (e.kind) {
    case event_kind::arrival:
      return on_arrival(e.a);
    case event_kind::flush:
      return on_bin(e.a, bins_[e.a].flush(e.gen, now_));
    case event_kind::leave:
      return complete(e.a);
    case event_kind::retry:
      return on_retry(e.a);
    case event_kind::batch_end:
      return act(batches_.batch_done(e.a));
    case event_kind::step_end:
      return on_step_end(e.a);
  }
}

prediction_input simulation::input_of(int r) const {
  const example& e = w_.requests[r];
  return {e.prompt, e.prompt_ids, c_.known_is_hint ? e.hint : e.length, c_.max_new_tokens};
}

// The intake and the predictor: a prediction, then the scheduler.
void simulation::on_arrival(int r) {
  const int n = static_cast<int>(req_.size());
  if (r + 1 < n) push(to_ns(w_.arrival_s[r + 1]), event_kind::arrival, r + 1);
  metrics_.on_submitted();
  req_[r].arrived = now_;
  req_[r].predicted = predictor_->predict(input_of(r));
  if (r == n / 2) out_.completed_at_half = completed_, out_.half_arrival_s = double(now_) / 1e9;
  if (r == n - 1) out_.completed_at_last = completed_, out_.last_arrival_s = double(now_) / 1e9;
  route(r);
}

// The scheduler's routing: a bin (binned policies) or the waiting queue.
void simulation::route(int r) {
  if (layout_.continuous()) {
    const request_state& q = req_[r];
    const sched::arrival a{static_cast<request_id>(r + 1), "", 0, q.prompt, c_.max_new_tokens, q.predicted, 0};
    // Requests that arrive together are planned together.
    const bool more_now = r + 1 < static_cast<int>(req_.size()) && to_ns(w_.arrival_s[r + 1]) == now_;
    if (more_now) return core_->enqueue(a, now_);
    return apply(core_->arrive(a, now_));
  }
  const int bin = layout_.route(req_[r].predicted, req_[r].retries, req_[r].cap);
  on_bin(bin, bins_[bin].push(static_cast<request_id>(r + 1), std::string(), 0, now_));
}

// A bin's effects, as the bin actor's messages with no latency: its depth,
// its readiness to the scheduler's core, its flush timer as an event.
void simulation::on_bin(int bin, const sched::bin_effects& e) {
  metrics_.set_queue_depth(bin, e.depth);
  if (e.arm) push(e.due, event_kind::flush, bin, e.timer);
  if (e.tell) act(batches_.ready(bin, e.ready));
}

// The core's actions, as the scheduler actor's: a take is answered at once,
// after the bin's messages (the bin actor sends them before its answer).
void simulation::act(sched::batch_actions a) {
  for (const sched::batch_run& b : a.run) run_batch(b);
  for (int bin : a.take) {
    sched::bin_effects effects;
    std::vector<request_id> ids = bins_[bin].take(now_, effects);
    on_bin(bin, effects);
    act(batches_.pulled(bin, bins_[bin].spec().cap, std::move(ids)));
  }
}

// Prices the whole batch now; its members leave (done or retried) and the
// executor frees up at the times that gives.
void simulation::run_batch(const sched::batch_run& b) {
  if (c_.on_batch) c_.on_batch(b);
  std::vector<int> requests;
  for (request_id id : b.ids) requests.push_back(static_cast<int>(id - 1));
  std::vector<batch_member> members;
  std::vector<bool> overflows;
  for (int r : requests) {
    request_state& q = req_[r];
    const int cap = std::min(c_.max_new_tokens, std::max(q.resumed + 1, b.cap));
    overflows.push_back(q.target > cap);
    q.resumed_next = c_.policy.retry == retry_mode::resume ? cap : 0;
    q.cap = cap;
    members.push_back({std::min(q.target, cap) - q.resumed, q.prompt + q.resumed});
    q.started = now_;
  }
  const batch_timing t = time_static_batch(members, cost_);
  for (size_t i = 0; i < requests.size(); ++i) {
    request_state& q = req_[requests[i]];
    if (q.first_token < 0) q.first_token = now_ + to_ns(t.first_step_s);
    push(now_ + to_ns(t.leave_s[i]), overflows[i] ? event_kind::retry : event_kind::leave, requests[i]);
  }
  const auto size = static_cast<int>(requests.size());
  metrics_.on_batch({b.bin, size, std::int64_t(size) * t.steps});
  push(now_ + to_ns(t.duration_s), event_kind::batch_end, b.executor);
}

void simulation::on_retry(int r) {
  batches_.left(static_cast<request_id>(r + 1));
  req_[r].retries++;
  req_[r].resumed = req_[r].resumed_next;
  metrics_.on_retry();
  route(r);
}

void simulation::complete(int r) {
  request_state& q = req_[r];
  assert(!q.ended && "a request ends once");
  q.ended = true;
  ++completed_;
  last_end_ = now_;
  predictor_->observe(input_of(r), q.target);
  request_record rec;
  rec.ok = true;
  rec.generated_tokens = q.target;
  rec.total_ms = to_ms(now_ - q.arrived);
  rec.first_token_ms = to_ms(q.first_token - q.arrived);
  rec.queue_ms = to_ms(q.started - q.arrived);
  metrics_.on_request(rec);
}

// Continuous: the core's plans, as the executor actors apply them; a plan
// that steps starts the step now.
void simulation::apply(const std::vector<sched::step_plan>& plans) {
  for (const sched::step_plan& p : plans) {
    if (c_.on_plan) c_.on_plan(p);
    executor_state& x = exec_[p.executor];
    auto drop = [&x](request_id id) { std::erase(x.live, static_cast<int>(id - 1)); };
    for (request_id id : p.evict) drop(id);
    for (request_id id : p.park) drop(id);
    for (const sched::admission& a : p.admit) {
      const int r = static_cast<int>(a.id - 1);
      x.live.push_back(r);
      if (!a.parked) x.joining.push_back(r);
      if (req_[r].started == 0 && req_[r].first_token < 0) req_[r].started = now_;
    }
    if (p.step) start_step(p.executor);
  }
  metrics_.set_queue_depth(0, core_->waiting());
}

// The step's cost from what it computes: every live sequence's context once
// the step's tokens are appended, the prompts (and recomputed tokens) of
// those joining.
void simulation::start_step(int e) {
  executor_state& x = exec_[e];
  step_shape shape;
  shape.live = static_cast<std::int64_t>(x.live.size());
  for (int r : x.live) shape.context_tokens += req_[r].prompt + req_[r].generated;
  for (int r : x.joining) shape.prefill_tokens += req_[r].prompt + req_[r].generated - 1;
  x.joining.clear();
  push(now_ + to_ns(cost_.step_seconds(shape)), event_kind::step_end, e);
}

void simulation::on_step_end(int e) {
  executor_state& x = exec_[e];
  const auto live = static_cast<int>(x.live.size());
  metrics_.on_batch({-1, live, live});
  std::vector<sched::progress> progress;
  std::vector<request_id> ended;
  std::vector<int> next;
  for (int r : x.live) {
    request_state& q = req_[r];
    if (q.first_token < 0) q.first_token = now_;
    if (++q.generated < q.target) {
      progress.push_back({static_cast<request_id>(r + 1), q.generated});
      next.push_back(r);
      continue;
    }
    ended.push_back(static_cast<request_id>(r + 1));
    complete(r);
  }
  x.live = std::move(next);
  apply(core_->step_done(e, progress, ended, now_));
}

status check(const sim_config& c, const tools::workload& w) {
  auto bad = [](const std::string& m) { return status(error_code::invalid_argument, m); };
  if (c.executors < 1) return bad("executors must be at least 1");
  if (w.requests.empty()) return bad("the workload has no requests");
  if (w.arrival_s.size() != w.requests.size()) return bad("the workload needs one arrival time per request");
  for (size_t i = 0; i < w.requests.size(); ++i) {
    if (i > 0 && w.arrival_s[i] < w.arrival_s[i - 1]) return bad("arrival times must not decrease");
    if (w.requests[i].length < 1 || w.requests[i].length > c.max_new_tokens)
      return bad("request " + std::to_string(i) + ": length " + std::to_string(w.requests[i].length) +
                 " is outside [1, max_new_tokens = " + std::to_string(c.max_new_tokens) + "]");
  }
  return status::ok_status();
}

}  // namespace

status_or<sim_result> simulate(const sim_config& config, const cost_model& cost, const tools::workload& w) {
  if (status s = check(config, w); !s.ok()) return s;
  auto layout = sched::bin_layout::make(config.policy, config.max_new_tokens);
  if (!layout.ok()) return layout.error();
  auto predictor = make_predictor(config.predictor, nullptr, backend_options{});
  if (!predictor.ok()) return predictor.error();
  std::unique_ptr<sched::core> core;
  if (layout->continuous()) {
    auto made = sched::make_core(config.policy);
    if (!made.ok()) return made.error();
    core = std::move(*made);
  }
  simulation s(config, cost, w, std::move(*layout), std::move(*predictor), std::move(core));
  return s.run();
}

}  // namespace binserve::sim
