#include "actors/bin_actor.hpp"

#include <map>

#include "actors/clock.hpp"
#include "sched/bin.hpp"

namespace binserve {

namespace {

struct bin_state {
  bin_state() = default;
  bin_actor_params p;
  scheduler_actor scheduler;
  stats_actor stats;
  std::optional<sched::bin> core;  // the core's state of this bin (sched/bin.hpp)
  std::map<request_id, job> jobs;  // the jobs it holds
};

using self_ptr = bin_actor::stateful_pointer<bin_state>;

// The core's effects as messages: the depth to stats, the readiness to the
// scheduler, the flush timer as a delayed send to itself.
void apply(self_ptr self, const sched::bin_effects& e, bool pushed = false) {
  auto& s = self->state;
  self->send(s.stats, depth_atom::value, s.p.index, e.depth);
  if (e.tell) {
    if (e.ready)
      self->send(s.scheduler, ready_atom::value, s.p.index, e.ready->full, e.ready->oldest, e.ready->priority);
    else
      self->send(s.scheduler, unready_atom::value, s.p.index);
  }
  if (e.arm)
    self->delayed_send(self, std::chrono::nanoseconds(std::max<std::int64_t>(0, e.due - now_ns())), flush_atom::value,
                       e.timer);
  if (s.p.on_bin) s.p.on_bin(s.p.index, pushed, s.core->armed());
}

void on_job(self_ptr self, job j) {
  auto& s = self->state;
  const request_id id = j.id;
  const std::string client = j.client;
  const int priority = j.priority;
  s.jobs[id] = std::move(j);
  apply(self, s.core->push(id, client, priority, now_ns()), true);
}

// The scheduler's pull.
batch on_take(self_ptr self) {
  auto& s = self->state;
  sched::bin_effects effects;
  batch b{s.p.index, s.p.spec.cap, {}};
  for (request_id id : s.core->take(now_ns(), effects)) {
    auto it = s.jobs.find(id);
    b.jobs.push_back(std::move(it->second));
    s.jobs.erase(it);
  }
  apply(self, effects);
  return b;
}

bin_actor::behavior_type bin_behavior(self_ptr self, bin_actor_params p, scheduler_actor scheduler, stats_actor stats) {
  auto& s = self->state;
  s.core.emplace(p.spec, std::chrono::nanoseconds(p.max_wait).count());
  s.p = std::move(p);
  s.scheduler = std::move(scheduler);
  s.stats = std::move(stats);
  return {
      [self](job& j) { on_job(self, std::move(j)); },
      [self](flush_atom, std::uint64_t timer) { apply(self, self->state.core->flush(timer, now_ns())); },
      [self](take_atom) -> batch { return on_take(self); },
      [self](cancel_atom, request_id id) {
        auto& s = self->state;
        if (auto effects = s.core->remove(id, now_ns())) {
          s.jobs.erase(id);
          apply(self, *effects);
        }
      },
  };
}

}  // namespace

bin_actor spawn_bin_actor(caf::actor_system& sys, const bin_actor_params& params, scheduler_actor scheduler,
                          stats_actor stats) {
  return sys.spawn(bin_behavior, params, std::move(scheduler), std::move(stats));
}

}  // namespace binserve
