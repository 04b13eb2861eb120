#include "actors/executor_actor.hpp"

#include <algorithm>
#include <chrono>

#include "actors/clock.hpp"
#include "gpu/generate.hpp"

namespace binserve {

namespace {

// One sequence of the running batch.
struct running {
  job j;
  generation_request rule;     // its stop rules
  int seq = -1;                // backend sequence
  std::vector<int> generated;  // resumed tokens included
  std::vector<int> feed;       // tokens the next forward appends
  int cap = 0;                 // overflow once `generated` reaches this
  std::int64_t started_ns = 0;
};

struct executor_state {
  executor_state() = default;
  executor_params p;
  std::shared_ptr<backend> b;
  scheduler_actor scheduler;
  intake_actor intake;
  stats_actor stats;
  std::vector<running> live;
  bool stepping = false;       // a step message is queued
  batch_record current;        // the static batch's work so far
  std::int64_t admitted = 0;   // continuous: jobs received in all
};

using self_ptr = executor_actor::stateful_pointer<executor_state>;

generation_request rule_of(const job& j) {
  generation_request r;
  r.prompt_ids = j.prompt_ids;
  r.sampling = {j.temperature, j.top_p, j.seed};
  r.max_new_tokens = j.max_new_tokens;
  r.target_length = j.target_length;
  return r;
}

// Opens a sequence for `j` with the tokens it starts from; false (and the
// job reported failed) when the backend cannot take it.
bool start(self_ptr self, job j, int cap) {
  auto& s = self->state;
  running r;
  r.rule = rule_of(j);
  r.generated = j.resumed_ids;
  r.feed = j.prompt_ids;
  r.feed.insert(r.feed.end(), j.resumed_ids.begin(), j.resumed_ids.end());
  r.cap = std::min(j.max_new_tokens, static_cast<int>(j.resumed_ids.size()) + cap);
  r.started_ns = now_ns();
  const int n_ctx = s.b->served_model().config.n_ctx;  // generation stops at context_full
  auto seq = s.b->open_sequence(std::min(n_ctx, static_cast<int>(j.prompt_ids.size()) + r.cap));
  if (!seq.ok()) {
    self->send(s.intake, failed_atom::value, j.id, static_cast<int>(seq.error().code()),
               seq.error().message());
    return false;
  }
  r.seq = *seq;
  r.j = std::move(j);
  s.live.push_back(std::move(r));
  return true;
}

void schedule_step(self_ptr self) {
  if (self->state.stepping || self->state.live.empty()) return;
  self->state.stepping = true;
  self->send(self, step_atom::value);
}

// Ends the batch (static) or reports free slots (continuous).
void report(self_ptr self) {
  auto& s = self->state;
  if (s.p.continuous) {
    const int free = s.p.max_batch_size - static_cast<int>(s.live.size());
    self->send(s.scheduler, capacity_atom::value, s.p.index, free, s.admitted);
  } else if (s.live.empty()) {
    self->send(s.stats, s.current);
    self->send(s.scheduler, idle_atom::value, s.p.index);
  }
}

void fail_all(self_ptr self, const status& err) {
  auto& s = self->state;
  for (running& r : s.live) {
    s.b->close_sequence(r.seq);
    self->send(s.intake, failed_atom::value, r.j.id, static_cast<int>(err.code()), err.message());
  }
  s.live.clear();
}

// After sampling `token` for r: true when r leaves the batch (finished or overflowed).
bool advance(self_ptr self, running& r, int token) {
  auto& s = self->state;
  const int index = static_cast<int>(r.generated.size());
  self->send(s.intake, token_atom::value, r.j.id, index, token);
  const auto stop = stop_after(r.rule, s.b->served_model(), index + 1, token);
  if (!stop || *stop != stop_reason::stop_token) r.generated.push_back(token);
  if (stop) {
    self->send(s.intake, done_atom::value,
               finished{std::move(r.j), std::move(r.generated), to_string(*stop), r.started_ns});
    return true;
  }
  if (static_cast<int>(r.generated.size()) < r.cap) {
    r.feed = {token};
    return false;
  }
  r.j.retries++;  // overflowed the batch's cap: recompute or resume later
  r.j.resumed_ids = s.p.resume ? std::move(r.generated) : std::vector<int>{};
  self->send(s.stats, retry_atom::value);
  self->send(s.scheduler, retry_atom::value, std::move(r.j));
  return true;
}

void step(self_ptr self) {
  auto& s = self->state;
  s.stepping = false;
  if (s.live.empty()) return;
  std::vector<sequence_chunk> chunks;
  std::vector<sampling_params> params;
  std::vector<std::uint64_t> steps;
  for (const running& r : s.live) {
    chunks.push_back({r.seq, r.feed});
    params.push_back(r.rule.sampling);
    steps.push_back(r.generated.size());
  }
  if (status st = s.b->forward(chunks); !st.ok()) return fail_all(self, st), report(self);
  const std::vector<int> tokens = s.b->sample(params, steps);
  s.current.computed_slots += s.p.continuous ? s.live.size() : s.current.size;
  if (s.p.continuous) s.current.size = static_cast<int>(s.live.size());
  std::vector<running> next;
  for (size_t i = 0; i < s.live.size(); ++i) {
    if (advance(self, s.live[i], tokens[i])) s.b->close_sequence(s.live[i].seq);
    else next.push_back(std::move(s.live[i]));
  }
  s.live = std::move(next);
  if (s.p.continuous) {
    self->send(s.stats, s.current);
    s.current.computed_slots = 0;
  }
  report(self);
  schedule_step(self);
}

executor_actor::behavior_type executor_behavior(self_ptr self, executor_params p,
                                                std::shared_ptr<backend> b,
                                                scheduler_actor scheduler, intake_actor intake,
                                                stats_actor stats) {
  auto& s = self->state;
  s.p = p;
  s.b = std::move(b);
  s.scheduler = std::move(scheduler);
  s.intake = std::move(intake);
  s.stats = std::move(stats);
  s.current.bin = -1;
  if (p.continuous) report(self);  // announce the free slots
  return {
      [self](run_atom, batch& bt) {
        auto& st = self->state;
        st.current = {bt.bin, static_cast<int>(bt.jobs.size()), 0};
        for (job& j : bt.jobs) start(self, std::move(j), bt.cap);
        if (st.live.empty()) report(self);
        schedule_step(self);
      },
      [self](admit_atom, job& j) {
        ++self->state.admitted;
        const int cap = j.max_new_tokens;
        if (!start(self, std::move(j), cap)) report(self);
        schedule_step(self);
      },
      [self](step_atom) { step(self); },
      [self](cancel_atom, request_id id) {
        auto& live = self->state.live;
        auto it = std::find_if(live.begin(), live.end(), [id](const running& r) { return r.j.id == id; });
        if (it == live.end()) return;
        self->state.b->close_sequence(it->seq);
        live.erase(it);
        report(self);
      },
  };
}

}  // namespace

executor_actor spawn_executor_actor(caf::local_actor* parent, const executor_params& params,
                                    std::shared_ptr<backend> b, scheduler_actor scheduler,
                                    intake_actor intake, stats_actor stats) {
  return parent->spawn<caf::linked + caf::detached>(executor_behavior, params, std::move(b),
                                                    std::move(scheduler), std::move(intake),
                                                    std::move(stats));
}

}  // namespace binserve
