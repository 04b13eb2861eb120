#include "actors/executor_actor.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "actors/clock.hpp"
#include "actors/step_trace.hpp"
#include "gpu/decode_step.hpp"

namespace binserve {

namespace {

// One sequence of the running batch.
struct running {
  job j;
  decoding d;   // its backend sequence, next tokens, output (resumed tokens included) and stop rules
  int cap = 0;  // overflow once d.out.generated() reaches this
  std::int64_t started_ns = 0;
  probe_predictor::belief belief{};  // the probe's reading of its remaining length
  int predicted = 0;                 // the probe's latest total (tokens made + remaining); 0: none yet
};

struct executor_state {
  executor_state() = default;
  executor_state(const executor_state&) = delete;
  executor_state& operator=(const executor_state&) = delete;
  // Runs on the executor's thread as it exits, before its supervisor hears
  // of it: the backend is free for a successor.
  ~executor_state() {
    for (running& r : live) b->close_sequence(r.d.seq);
    for (running& r : parked) b->close_sequence(r.d.seq);
  }
  executor_params p;
  std::shared_ptr<backend> b;
  std::shared_ptr<const tokenizer> tok;  // for stop strings
  scheduler_actor scheduler;
  intake_actor intake;
  stats_actor stats;
  std::vector<running> live;
  std::vector<running> parked;        // continuous: preempted, KV kept
  bool stepping = false;              // static: a step message is queued
  batch_record current;               // the static batch's work so far
  std::vector<request_id> left;       // continuous: jobs ended since the last report
  std::int64_t steps = 0;             // forwards run in this executor's life
  std::int64_t progress_ns = 0;       // static: when the batch began or last reported progress
  std::shared_ptr<step_trace> trace;  // null: no step trace
  executor_probe probe;
  std::optional<step_record> traced;  // the last step, until the next one begins
  std::int64_t traced_began = 0;
};

using self_ptr = executor_actor::stateful_pointer<executor_state>;

// Continuous: remember that job `id` ended, for the next step report.
void note_left(executor_state& s, request_id id) {
  if (s.p.continuous) s.left.push_back(id);
}

// Opens a sequence for `j` with the tokens it starts from, reserving
// `reserve` tokens (0: prompt + cap); false (and the job reported failed)
// when the backend cannot take it.
bool start(self_ptr self, job j, int cap, int reserve = 0) {
  auto& s = self->state;
  running r{job{}, {-1, j.gen.prompt_ids, sequence_output(j.gen, s.b->served_model(), s.tok, j.resumed_ids)}};
  r.d.feed.insert(r.d.feed.end(), j.resumed_ids.begin(), j.resumed_ids.end());
  r.cap = std::min(j.gen.max_new_tokens, std::max(static_cast<int>(j.resumed_ids.size()) + 1, cap));
  r.started_ns = now_ns();
  const int n_ctx = s.b->served_model().config.n_ctx;  // generation stops at context_full
  if (reserve <= 0) reserve = static_cast<int>(j.gen.prompt_ids.size()) + r.cap;
  auto seq = s.b->open_sequence(std::min(n_ctx, reserve));
  if (!seq.ok()) {
    self->send(s.intake, failed_atom::value, j.id, static_cast<int>(seq.error().code()), seq.error().message());
    note_left(s, j.id);
    return false;
  }
  r.d.seq = *seq;
  r.j = std::move(j);
  s.live.push_back(std::move(r));
  return true;
}

void schedule_step(self_ptr self) {
  if (self->state.p.continuous || self->state.stepping || self->state.live.empty()) return;
  self->state.stepping = true;
  self->send(self, step_atom::value);
}

// A static batch still running tells the scheduler it progresses (its
// deadline counts from there), at most every progress_every_ms.
void report_progress(self_ptr self) {
  auto& s = self->state;
  const std::int64_t now = now_ns();
  if (now - s.progress_ns < std::int64_t{s.p.progress_every_ms} * 1'000'000) return;
  s.progress_ns = now;
  self->send(s.scheduler, progress_atom::value, s.p.index, s.current.computed_slots);
}

// Continuous: the step the last plan asked for is done (it is also
// progress for the scheduler's deadline).
void report_step(self_ptr self) {
  auto& s = self->state;
  step_report out;
  for (const running& r : s.live) {
    out.ids.push_back(r.j.id);
    out.tokens.push_back(r.d.feed.back());  // the token sampled last, fed next
    out.generated.push_back(static_cast<int>(r.d.out.generated().size()));
    out.predicted.push_back(r.predicted);
  }
  out.ended = std::move(s.left);
  s.left.clear();
  self->send(s.scheduler, step_atom::value, s.p.index, std::move(out));
}

// Continuous: tells the scheduler what it can hold.
void announce(self_ptr self) {
  auto& s = self->state;
  const kv_cache& kv = s.b->kv();
  sched::executor_capacity cap{s.p.max_batch_size, kv.free_blocks(), kv.layout().block_size,
                               s.b->served_model().config.n_ctx};
  self->send(s.scheduler, capacity_atom::value, s.p.index, cap);
}

// Ends the batch or reports its progress (static; continuous executors
// report each step: report_step).
void report(self_ptr self) {
  auto& s = self->state;
  if (s.p.continuous) return;
  if (s.live.empty()) {
    self->send(s.stats, s.current);
    self->send(s.scheduler, idle_atom::value, s.p.index, s.current.computed_slots);
  } else {
    report_progress(self);
  }
}

// After step `t` of r: true when r leaves the batch (finished, added to
// `done`, or overflowed). A stop token that ends the sequence is not
// streamed: the client sees the tokens of its result, no more.
bool advance(self_ptr self, running& r, const decoded& t, std::vector<finished>& done) {
  auto& s = self->state;
  if (t.kept()) {
    const int index = static_cast<int>(r.d.out.generated().size()) - 1;
    self->send(s.intake, emitted_token{r.j.id, index, t.token.token, t.token.logprobs.has_value(),
                                       t.token.logprobs.value_or(token_logprobs{})});
  }
  if (t.stop) {
    done.push_back(finished{std::move(r.j), r.d.out.take_generated(), to_string(*t.stop), r.started_ns});
    return true;
  }
  if (static_cast<int>(r.d.out.generated().size()) < r.cap) return false;
  r.j.retries++;  // overflowed the batch's cap: recompute or resume later
  r.j.overflow_made = r.cap;
  r.j.resumed_ids = s.p.resume ? r.d.out.take_generated() : std::vector<int>{};
  self->send(s.stats, retry_atom::value);
  self->send(s.scheduler, retry_atom::value, std::move(r.j));
  return true;
}

// Fault injection: the executor dies mid-batch at step N of its life.
void maybe_inject_fault(const executor_state& s) {
  if (s.p.kill_every_n_steps > 0 && s.steps == s.p.kill_every_n_steps)
    throw std::runtime_error("injected fault: executor " + std::to_string(s.p.index) + " killed at step " +
                             std::to_string(s.steps));
}

// Fault injection: a slow executor (every step delayed) or a hung one (one
// step blocks for stall_ms): alive and connected, but making no progress.
void maybe_stall(const executor_state& s) {
  if (s.p.step_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(s.p.step_delay_ms));
  if (s.p.stall_after_n_steps > 0 && s.steps == s.p.stall_after_n_steps)
    std::this_thread::sleep_for(std::chrono::milliseconds(s.p.stall_ms));
}

// A forward error about one sequence's input: the backend appended nothing
// (gpu/backend.hpp), so only that request fails. Any other error is the
// backend's (executor_actor.hpp, "Failures").
bool is_request_error(const status& st) {
  return st.code() == error_code::invalid_argument || st.code() == error_code::input_too_large ||
         st.code() == error_code::out_of_memory;
}

// One step's outcome per live sequence: its token, or its own error.
using step_outcomes = std::vector<status_or<decoded>>;

// decode_step for every live sequence: in one forward when the backend takes
// them (`batched`), else one at a time after the batched forward refused one
// sequence's input, so that a sequence the backend refuses alone gets that
// error and the others their token. Errors: the backend's.
status_or<step_outcomes> step_live(backend& b, std::span<decoding* const> seqs, bool& batched) {
  batched = false;
  auto all = decode_step(b, seqs);
  if (all.ok()) {
    batched = true;
    return step_outcomes(all->begin(), all->end());
  }
  if (!is_request_error(all.error())) return all.error();
  step_outcomes out;
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    auto one = decode_step(b, seqs.subspan(i, 1));
    if (!one.ok() && !is_request_error(one.error())) return one.error();
    out.push_back(one.ok() ? status_or<decoded>(one->front()) : status_or<decoded>(one.error()));
  }
  return out;
}

// The backend failed: the executor exits with an error naming the failure
// (its supervisor re-queues its jobs; its state's destructor closes its
// sequences). No token of this step is sent.
void take_out(self_ptr self, const status& st) {
  self->quit(caf::make_error(caf::sec::runtime_error,
                             "executor " + std::to_string(self->state.p.index) + ": " + st.to_string()));
}

// Continuous, after a batched forward: the probe reads each live sequence
// whose tokens made before that step (`made_before[i]`, as the probe was trained:
// tools/predictor_collect.cpp) are a multiple of refresh_tokens (0: the
// admission step), from the states that forward left.
void refresh_predictions(executor_state& s, const std::vector<int>& made_before) {
  if (!s.probe.probe || !s.p.continuous) return;
  for (std::size_t i = 0; i < s.live.size(); ++i) {
    running& r = s.live[i];
    const int made = made_before[i];
    if (made % s.probe.refresh_tokens != 0) continue;
    const std::span<const float> states = s.b->layer_states(static_cast<int>(i));
    if (static_cast<int>(states.size()) != s.probe.probe->width()) return;  // a backend not recording them
    s.probe.probe->refresh(r.belief, {states, made, static_cast<int>(r.j.gen.prompt_ids.size())});
    r.predicted = made + s.probe.probe->remaining(r.belief);
  }
}

// The step trace: the last step ran until `now`.
void close_traced(executor_state& s, std::int64_t now) {
  if (!s.traced) return;
  s.traced->seconds = double(now - s.traced_began) / 1e9;
  s.trace->write(*s.traced);
  s.traced.reset();
}

// One forward + sample of the live set. False when the backend failed (the
// executor is on its way out: take_out).
bool step(self_ptr self) {
  auto& s = self->state;
  const std::int64_t began = now_ns();
  close_traced(s, began);
  s.stepping = false;
  if (s.live.empty()) return true;
  ++s.steps;
  maybe_inject_fault(s);
  maybe_stall(s);
  std::vector<decoding*> seqs;
  std::vector<int> made;  // tokens each had before this step
  step_record shape{s.p.index, static_cast<std::int64_t>(s.live.size()), 0, 0, 0};
  for (running& r : s.live) {
    seqs.push_back(&r.d);
    made.push_back(static_cast<int>(r.d.out.generated().size()));
    shape.context_tokens += static_cast<std::int64_t>(r.j.gen.prompt_ids.size() + r.d.out.generated().size());
    shape.prefill_tokens += static_cast<std::int64_t>(r.d.feed.size()) - 1;
  }
  bool batched = false;
  const status_or<step_outcomes> tokens = step_live(*s.b, seqs, batched);
  if (!tokens.ok()) return take_out(self, tokens.error()), false;
  if (batched) refresh_predictions(s, made);
  s.current.computed_slots += s.p.continuous ? s.live.size() : s.current.size;
  if (s.p.continuous) s.current.size = static_cast<int>(s.live.size());
  std::vector<running> next;
  std::vector<finished> done;
  for (size_t i = 0; i < s.live.size(); ++i) {
    const request_id id = s.live[i].j.id;
    const status_or<decoded>& t = (*tokens)[i];
    if (!t.ok()) {  // the backend refused this sequence's input: this request fails
      const status& err = t.error();
      self->send(s.intake, failed_atom::value, id, static_cast<int>(err.code()), err.message());
    }
    if (!t.ok() || advance(self, s.live[i], *t, done)) {
      s.b->close_sequence(s.live[i].d.seq);
      note_left(s, id);
    } else {
      next.push_back(std::move(s.live[i]));
    }
  }
  s.live = std::move(next);
  if (s.p.continuous) {
    self->send(s.stats, s.current);
    s.current.computed_slots = 0;
  }
  report(self);
  // The results after the work they took: whoever holds a result and then
  // asks the (local) stats actor finds this step's slots counted, since they
  // were enqueued there first.
  for (finished& f : done) self->send(s.intake, done_atom::value, std::move(f));
  if (s.trace) {
    s.traced = shape;
    s.traced_began = began;
    if (s.live.empty()) close_traced(s, now_ns());
  }
  schedule_step(self);
  return true;
}

// Moves the sequence of request `id` from `from` to `to` (null: closes it);
// false when `from` has none.
bool move_sequence(executor_state& s, request_id id, std::vector<running>& from, std::vector<running>* to) {
  auto it = std::find_if(from.begin(), from.end(), [id](const running& r) { return r.j.id == id; });
  if (it == from.end()) return false;
  if (to)
    to->push_back(std::move(*it));
  else
    s.b->close_sequence(it->d.seq);
  from.erase(it);
  return true;
}

// Continuous: the scheduling core's decisions before the next step.
void apply_plan(self_ptr self, executor_plan& p) {
  auto& s = self->state;
  for (request_id id : p.evict)
    if (!move_sequence(s, id, s.live, nullptr)) move_sequence(s, id, s.parked, nullptr);
  for (request_id id : p.park) move_sequence(s, id, s.live, &s.parked);
  for (request_id id : p.resume) move_sequence(s, id, s.parked, &s.live);
  for (std::size_t i = 0; i < p.admit.size(); ++i) {
    const int cap = p.admit[i].gen.max_new_tokens;
    start(self, std::move(p.admit[i]), cap, i < p.reserve.size() ? p.reserve[i] : 0);
  }
}

// The executor's exit reason when a step throws: the exception's message,
// which the supervisor passes on (re-queue, poison limit) as the fault.
caf::error exit_reason_of(std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return caf::make_error(caf::sec::runtime_error, std::string(x.what()));
  } catch (...) {
  }
  return caf::make_error(caf::sec::runtime_error, std::string("unknown exception"));
}

executor_actor::behavior_type executor_behavior(self_ptr self, executor_params p, std::shared_ptr<backend> b,
                                                scheduler_actor scheduler, intake_actor intake, stats_actor stats,
                                                std::shared_ptr<step_trace> trace, executor_probe probe) {
  auto& s = self->state;
  s.p = p;
  s.b = std::move(b);
  s.tok = std::make_shared<const tokenizer>(s.b->served_model().vocab);
  s.trace = std::move(trace);
  s.probe = std::move(probe);
  s.scheduler = std::move(scheduler);
  s.intake = std::move(intake);
  s.stats = std::move(stats);
  s.current.bin = -1;
  s.current.node = p.node;
  self->set_exception_handler(exit_reason_of);
  if (p.continuous) announce(self);
  return {
      [self](run_atom, batch& bt) {
        auto& st = self->state;
        st.current = {bt.bin, static_cast<int>(bt.jobs.size()), 0, st.p.node};
        st.progress_ns = now_ns();
        for (job& j : bt.jobs) start(self, std::move(j), bt.cap);
        if (st.live.empty()) report(self);
        schedule_step(self);
      },
      [self](plan_atom, executor_plan& p) {
        apply_plan(self, p);
        if (p.step && step(self)) report_step(self);
      },
      [self](step_atom) { step(self); },
      [self](cancel_atom, request_id id) {
        auto& s = self->state;
        if (!move_sequence(s, id, s.live, nullptr) && !move_sequence(s, id, s.parked, nullptr)) return;
        note_left(s, id);
        report(self);
      },
  };
}

}  // namespace

status_or<executor_probe> load_executor_probe(const predictor_config& c, const model_config& m) {
  if (c.probe_file.empty()) return executor_probe{};
  auto loaded = probe_predictor::load(c.probe_file);
  status s = loaded.ok() ? loaded->fits(m) : loaded.error();
  if (!s.ok()) return status(error_code::config_invalid, "predictor.probe_file: " + s.message());
  return executor_probe{std::make_shared<const probe_predictor>(std::move(*loaded)), c.refresh_tokens};
}

executor_actor spawn_executor_actor(caf::actor_system& sys, const executor_params& params, std::shared_ptr<backend> b,
                                    scheduler_actor scheduler, intake_actor intake, stats_actor stats,
                                    std::shared_ptr<step_trace> trace, executor_probe probe) {
  return sys.spawn<caf::detached>(executor_behavior, params, std::move(b), std::move(scheduler), std::move(intake),
                                  std::move(stats), std::move(trace), std::move(probe));
}

}  // namespace binserve
