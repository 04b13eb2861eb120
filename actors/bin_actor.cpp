#include "actors/bin_actor.hpp"

#include "actors/bin_queue.hpp"
#include "actors/clock.hpp"

namespace binserve {

namespace {

struct bin_state {
  bin_state() = default;
  std::optional<bin_queue<job>> queue;
  std::uint64_t timer = 0;  // generation of the armed flush timer; delayed_send can't be cancelled
  bool armed = false;
};

bin_actor::behavior_type bin_behavior(bin_actor::stateful_pointer<bin_state> self,
                                      bin_actor_params p, scheduler_actor scheduler,
                                      stats_actor stats) {
  self->state.queue.emplace(p.spec);
  auto emit = [=](std::vector<job> jobs) {
    self->send(scheduler, batch_atom::value, batch{p.index, p.spec.cap, std::move(jobs)});
  };
  // Re-arms the flush timer for the (new) oldest request, reports depth.
  auto settle = [=] {
    auto& s = self->state;
    self->send(stats, depth_atom::value, p.index, s.queue->size());
    if (s.armed || !s.queue->oldest()) return;
    const auto wait = std::chrono::nanoseconds(*s.queue->oldest() + p.max_wait.count() * 1000000 - now_ns());
    s.armed = true;
    self->delayed_send(self, std::max(wait, std::chrono::nanoseconds(0)), flush_atom::value, ++s.timer);
  };
  return {
      [=](job& j) {
        self->state.queue->push(std::move(j), now_ns());
        while (auto full = self->state.queue->take_full()) emit(std::move(*full));
        settle();
      },
      [=](flush_atom, std::uint64_t gen) {
        if (gen != self->state.timer) return;  // a stale timer
        self->state.armed = false;
        while (auto due = self->state.queue->take_expired(now_ns() - p.max_wait.count() * 1000000))
          emit(std::move(*due));
        settle();
      },
      [=](cancel_atom, request_id id) {
        if (self->state.queue->remove_if([id](const job& j) { return j.id == id; }) > 0) settle();
      },
  };
}

}  // namespace

bin_actor spawn_bin_actor(caf::actor_system& sys, const bin_actor_params& params,
                          scheduler_actor scheduler, stats_actor stats) {
  return sys.spawn(bin_behavior, params, std::move(scheduler), std::move(stats));
}

}  // namespace binserve
