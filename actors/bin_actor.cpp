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
  // What the scheduler was last told: the bin is full or expired (and the
  // arrival of its oldest request), or nothing (neither, or nothing told).
  std::optional<bin_readiness> told;
};

using self_ptr = bin_actor::stateful_pointer<bin_state>;

// What the scheduler should know (bin_queue::readiness); expiry is checked
// only when `check_expiry`: the timer fired, or the scheduler was told the
// bin is ready.
std::optional<bin_readiness> readiness(const bin_state& s, bool check_expiry) {
  const std::int64_t deadline = now_ns() - std::chrono::nanoseconds(s.p.max_wait).count();
  return s.queue->readiness(deadline, check_expiry);
}

// Tells the scheduler whether it holds a batch to take: when that differs
// from what it was last told, or `always`.
void tell(self_ptr self, std::optional<bin_readiness> r, bool always) {
  auto& s = self->state;
  if (!always && r == s.told) return;
  if (r) self->send(s.scheduler, ready_atom::value, s.p.index, r->full, r->oldest);
  else self->send(s.scheduler, unready_atom::value, s.p.index);
  s.told = r;
}

// After any change: reports the depth, tells the scheduler when the bin
// became full and keeps a told readiness current, and arms the flush timer
// for the oldest request unless the scheduler already knows the bin is
// ready or a timer is armed.
void settle(self_ptr self) {
  auto& s = self->state;
  self->send(s.stats, depth_atom::value, s.p.index, s.queue->size());
  tell(self, readiness(s, s.told.has_value()), false);
  if (s.told || s.armed || !s.queue->oldest()) return;
  const auto wait = std::chrono::nanoseconds(*s.queue->oldest() - now_ns()) + s.p.max_wait;
  s.armed = true;
  self->delayed_send(self, std::max(wait, std::chrono::nanoseconds(0)), flush_atom::value, ++s.timer);
}

// Every batch waits for a take, full ones too.
void on_job(self_ptr self, job j) {
  auto& s = self->state;
  const std::string client = j.client;
  s.queue->push(client, std::move(j), now_ns());
  settle(self);
}

void on_flush(self_ptr self, std::uint64_t gen) {
  auto& s = self->state;
  if (gen != s.timer) return;  // a stale timer
  s.armed = false;
  tell(self, readiness(s, true), false);
  settle(self);
}

// The scheduler's pull. It forgot this bin when it pulled, so the bin tells
// it again what it holds.
batch on_take(self_ptr self) {
  auto& s = self->state;
  batch b{s.p.index, s.p.spec.cap, s.queue->take()};
  tell(self, readiness(s, true), true);
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
