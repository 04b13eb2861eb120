#include "actors/scheduler_actor.hpp"

#include <chrono>
#include <deque>

#include "actors/bin_actor.hpp"
#include "actors/executor_actor.hpp"

namespace binserve {

namespace {

struct waiting_job {
  job j;
  std::chrono::steady_clock::time_point arrived;
};

struct scheduler_state {
  scheduler_state() = default;
  policy_config policy;
  std::unique_ptr<bin_layout> layout;
  std::vector<bin_actor> bins;
  std::vector<executor_actor> executors;
  std::vector<bool> idle;                  // binned: per executor
  std::deque<batch> ready;                 // binned: emitted, not yet dispatched
  std::deque<waiting_job> waiting;         // continuous
  std::vector<int> credit;                 // continuous: free slots per executor
  std::vector<std::int64_t> sent;          // continuous: jobs admitted per executor
  stats_actor stats;
};

using self_ptr = scheduler_actor::stateful_pointer<scheduler_state>;

void dispatch(self_ptr self) {
  auto& s = self->state;
  for (size_t e = 0; e < s.executors.size() && !s.ready.empty(); ++e) {
    if (!s.idle[e]) continue;
    s.idle[e] = false;
    self->send(s.executors[e], run_atom::value, std::move(s.ready.front()));
    s.ready.pop_front();
  }
}

// continuous-sjf: the waiting job with the least predicted length, less the
// priority it gained waiting (so long jobs are not starved).
std::deque<waiting_job>::iterator next_waiting(self_ptr self) {
  auto& s = self->state;
  if (s.policy.kind != "continuous-sjf") return s.waiting.begin();
  const auto now = std::chrono::steady_clock::now();
  auto score = [&](const waiting_job& w) {
    const double waited = std::chrono::duration<double>(now - w.arrived).count();
    return sjf_priority(w.j.predicted_length, waited, s.policy.sjf_aging_per_s);
  };
  return std::min_element(s.waiting.begin(), s.waiting.end(),
                          [&](const waiting_job& a, const waiting_job& b) { return score(a) < score(b); });
}

void admit(self_ptr self) {
  auto& s = self->state;
  for (size_t e = 0; e < s.executors.size(); ++e)
    while (s.credit[e] > 0 && !s.waiting.empty()) {
      auto it = next_waiting(self);
      --s.credit[e];
      ++s.sent[e];
      self->send(s.executors[e], admit_atom::value, std::move(it->j));
      s.waiting.erase(it);
    }
  self->send(s.stats, depth_atom::value, 0, static_cast<int>(s.waiting.size()));
}

void route(self_ptr self, job j) {
  auto& s = self->state;
  if (s.layout->continuous()) {
    s.waiting.push_back({std::move(j), std::chrono::steady_clock::now()});
    return admit(self);
  }
  j.bin = s.layout->route(j.predicted_length, j.retries);
  self->send(s.bins[j.bin], std::move(j));
}

void spawn_children(self_ptr self, scheduler_params& p, intake_actor intake) {
  auto& s = self->state;
  const auto& bins = s.layout->bins();
  for (size_t b = 0; b < bins.size(); ++b)
    s.bins.push_back(spawn_bin_actor(self->system(), {static_cast<int>(b), bins[b], p.policy.max_wait},
                                     self, s.stats));
  for (auto& b : s.bins) self->link_to(b);
  const executor_params ep{0, s.layout->continuous(), p.policy.retry == "resume", p.policy.max_batch_size};
  for (size_t e = 0; e < p.backends.size(); ++e) {
    executor_params each = ep;
    each.index = static_cast<int>(e);
    s.executors.push_back(spawn_executor_actor(self, each, p.backends[e], self, intake, s.stats));
  }
  s.idle.assign(s.executors.size(), true);
  s.credit.assign(s.executors.size(), 0);
  s.sent.assign(s.executors.size(), 0);
}

scheduler_actor::behavior_type scheduler_behavior(self_ptr self, scheduler_params p,
                                                  intake_actor intake, stats_actor stats) {
  auto& s = self->state;
  s.policy = p.policy;
  s.layout = std::make_unique<bin_layout>(std::move(p.layout));
  s.stats = std::move(stats);
  spawn_children(self, p, std::move(intake));
  return {
      [self](job& j) { route(self, std::move(j)); },
      [self](batch_atom, batch& b) {
        self->state.ready.push_back(std::move(b));
        dispatch(self);
      },
      [self](retry_atom, job& j) { route(self, std::move(j)); },
      [self](idle_atom, int e) {
        self->state.idle[e] = true;
        dispatch(self);
      },
      [self](capacity_atom, int e, int free, std::int64_t admitted) {
        auto& st = self->state;
        st.credit[e] = free - static_cast<int>(st.sent[e] - admitted);  // admits in flight
        admit(self);
      },
      [self](cancel_atom, request_id id) {
        auto& st = self->state;
        std::erase_if(st.waiting, [id](const waiting_job& w) { return w.j.id == id; });
        for (auto& b : st.bins) self->send(b, cancel_atom::value, id);
        for (auto& e : st.executors) self->send(e, cancel_atom::value, id);
        for (auto& bt : st.ready) std::erase_if(bt.jobs, [id](const job& j) { return j.id == id; });
      },
  };
}

}  // namespace

scheduler_actor spawn_scheduler_actor(caf::local_actor* parent, scheduler_params params,
                                      intake_actor intake, stats_actor stats) {
  return parent->spawn<caf::linked>(scheduler_behavior, std::move(params), std::move(intake),
                                    std::move(stats));
}

}  // namespace binserve
