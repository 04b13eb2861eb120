#include "sched/bin.hpp"

#include <algorithm>

namespace binserve::sched {

bin::bin(const bin_spec& spec, time_ns max_wait) : queue_(spec), max_wait_(max_wait) {}

// Expiry is checked only when `check_expiry`: the timer fired, or the
// scheduler was told the bin is ready (and must learn when it no longer is).
std::optional<bin_readiness> bin::readiness(time_ns now, bool check_expiry) const {
  return queue_.readiness(now - max_wait_, check_expiry);
}

void bin::tell(std::optional<bin_readiness> r, bool always, bin_effects& out) {
  if (!always && r == told_) return;
  out.tell = true;
  out.ready = r;
  told_ = r;
}

// After any change: the depth; tell when the bin became full and keep a
// told readiness current; arm the timer for the oldest request unless the
// scheduler knows the bin is ready or a timer is armed.
void bin::settle(time_ns now, bin_effects& out) {
  out.depth = queue_.size();
  tell(readiness(now, told_.has_value()), false, out);
  if (told_ || armed_ || !queue_.oldest()) return;
  armed_ = true;
  out.arm = true;
  out.timer = ++timer_;
  out.due = std::max(now, *queue_.oldest() + max_wait_);
}

bin_effects bin::push(request_id id, const std::string& client, int priority, time_ns now) {
  queue_.push(client, id, now, priority);
  bin_effects out;
  settle(now, out);
  return out;
}

bin_effects bin::flush(std::uint64_t timer, time_ns now) {
  bin_effects out;
  out.depth = queue_.size();
  if (timer != timer_) return out;  // stale
  armed_ = false;
  tell(readiness(now, true), false, out);
  settle(now, out);
  return out;
}

std::vector<request_id> bin::take(time_ns now, bin_effects& effects) {
  std::vector<request_id> ids = queue_.take();
  effects = bin_effects{};
  tell(readiness(now, true), true, effects);
  settle(now, effects);
  return ids;
}

std::optional<bin_effects> bin::remove(request_id id, time_ns now) {
  if (queue_.remove_if([id](request_id x) { return x == id; }) == 0) return std::nullopt;
  bin_effects out;
  settle(now, out);
  return out;
}

}  // namespace binserve::sched
