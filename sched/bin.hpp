// One bin of a binned policy (vanilla, multibin, sequence): its waiting
// requests (bin_queue: full at its threshold, expired once its oldest has
// waited max_wait) and what its owner must do after each event: tell the
// scheduler whether it holds a batch to take (only when that changed, and
// always after a take: the scheduler forgot the bin when it pulled), and arm
// its flush timer for the oldest request unless the scheduler already knows
// the bin is ready or a timer is armed. Pure: the bin actor
// (actors/bin_actor.cpp) holds one and turns effects into messages and
// delayed sends; the simulator holds one per bin and turns them into
// events. Requests are ids; the owner keeps their payloads.
//
// Not thread-safe: one owner.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "binserve/request.hpp"
#include "sched/bin_queue.hpp"
#include "sched/time.hpp"

namespace binserve::sched {

// What the bin's owner does after an event, in this order: report `depth`;
// when `tell`, tell the scheduler `ready` (a batch to take, or nothing:
// batch_core::ready); when `arm`, deliver flush(timer) at time `due`.
struct bin_effects {
  int depth = 0;
  bool tell = false;
  std::optional<bin_readiness> ready;
  bool arm = false;
  std::uint64_t timer = 0;
  time_ns due = 0;
};

class bin {
 public:
  bin(const bin_spec& spec, time_ns max_wait);

  // Request `id` of `client`, in class `priority`, arrives.
  bin_effects push(request_id id, const std::string& client, int priority, time_ns now);

  // Timer `timer` is due; a stale one (re-armed meanwhile) does nothing.
  bin_effects flush(std::uint64_t timer, time_ns now);

  // The scheduler's pull: up to a batch, round-robin across clients (empty
  // when nothing waits). `effects` gets what to do after it.
  std::vector<request_id> take(time_ns now, bin_effects& effects);

  // Removes `id` (cancelled) when it waits here; nullopt when it does not.
  std::optional<bin_effects> remove(request_id id, time_ns now);

  const bin_spec& spec() const { return queue_.spec(); }
  int size() const { return queue_.size(); }
  bool armed() const { return armed_; }  // a flush timer is pending

 private:
  std::optional<bin_readiness> readiness(time_ns now, bool check_expiry) const;
  void tell(std::optional<bin_readiness> r, bool always, bin_effects& out);
  void settle(time_ns now, bin_effects& out);

  bin_queue<request_id> queue_;
  time_ns max_wait_;
  std::uint64_t timer_ = 0;  // generation of the armed timer (timers cannot be cancelled)
  bool armed_ = false;
  // What the scheduler was last told: a batch to take, or nothing (neither
  // full nor expired, or nothing told).
  std::optional<bin_readiness> told_;
};

}  // namespace binserve::sched
