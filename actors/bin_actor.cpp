#include "actors/bin_actor.hpp"

#include "actors/bin_queue.hpp"
#include "actors/clock.hpp"

namespace binserve {

namespace {

struct bin_state {
  bin_state() = default;
  bin_actor_params p;
  scheduler_actor scheduler;
  stats_actor stats;
  std::optional<bin_queue<job>> queue;
  std::uint64_t timer = 0;  // generation of the armed flush timer; delayed_send can't be cancelled
  bool armed = false;
  // What the scheduler was last told: the arrival of the oldest request of an
  // expired partial batch, or nothing (not expired, or nothing told).
  std::optional<std::int64_t> told;
};

using self_ptr = bin_actor::stateful_pointer<bin_state>;

// The oldest request's arrival if it has waited max_wait, else nothing.
std::optional<std::int64_t> expired_oldest(const bin_state& s) {
  const std::int64_t deadline = now_ns() - std::chrono::nanoseconds(s.p.max_wait).count();
  if (!s.queue->expired(deadline)) return std::nullopt;
  return s.queue->oldest();
}

// Tells the scheduler whether it holds an expired partial batch: when that
// differs from what it was last told, or `always`.
void tell(self_ptr self, std::optional<std::int64_t> oldest, bool always) {
  auto& s = self->state;
  if (!always && oldest == s.told) return;
  if (oldest) self->send(s.scheduler, expired_atom::value, s.p.index, *oldest);
  else self->send(s.scheduler, unexpired_atom::value, s.p.index);
  s.told = oldest;
}

// After any change: reports the depth, keeps a told expiry current, and arms
// the flush timer for the oldest request unless the scheduler already knows
// it expired or a timer is armed.
void settle(self_ptr self) {
  auto& s = self->state;
  self->send(s.stats, depth_atom::value, s.p.index, s.queue->size());
  if (s.told) tell(self, expired_oldest(s), false);
  if (s.told || s.armed || !s.queue->oldest()) return;
  const auto wait = std::chrono::nanoseconds(*s.queue->oldest() - now_ns()) + s.p.max_wait;
  s.armed = true;
  self->delayed_send(self, std::max(wait, std::chrono::nanoseconds(0)), flush_atom::value, ++s.timer);
}

// Full batches are pushed at once; partial ones wait for a take.
void on_job(self_ptr self, job j) {
  auto& s = self->state;
  s.queue->push(std::move(j), now_ns());
  while (auto full = s.queue->take_full())
    self->send(s.scheduler, batch_atom::value, batch{s.p.index, s.p.spec.cap, std::move(*full)});
  settle(self);
}

void on_flush(self_ptr self, std::uint64_t gen) {
  auto& s = self->state;
  if (gen != s.timer) return;  // a stale timer
  s.armed = false;
  tell(self, expired_oldest(s), false);
  settle(self);
}

// The scheduler's pull. It forgot this bin when it pulled, so the bin tells
// it again what it holds.
batch on_take(self_ptr self) {
  auto& s = self->state;
  batch b{s.p.index, s.p.spec.cap, s.queue->take_oldest()};
  tell(self, expired_oldest(s), true);
  settle(self);
  return b;
}

bin_actor::behavior_type bin_behavior(self_ptr self, bin_actor_params p, scheduler_actor scheduler,
                                      stats_actor stats) {
  auto& s = self->state;
  s.queue.emplace(p.spec);
  s.p = std::move(p);
  s.scheduler = std::move(scheduler);
  s.stats = std::move(stats);
  return {
      [self](job& j) { on_job(self, std::move(j)); },
      [self](flush_atom, std::uint64_t gen) { on_flush(self, gen); },
      [self](take_atom) -> batch { return on_take(self); },
      [self](cancel_atom, request_id id) {
        if (self->state.queue->remove_if([id](const job& j) { return j.id == id; }) > 0) settle(self);
      },
  };
}

}  // namespace

bin_actor spawn_bin_actor(caf::actor_system& sys, const bin_actor_params& params,
                          scheduler_actor scheduler, stats_actor stats) {
  return sys.spawn(bin_behavior, params, std::move(scheduler), std::move(stats));
}

}  // namespace binserve
