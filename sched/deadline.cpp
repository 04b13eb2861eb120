#include "sched/deadline.hpp"

#include <algorithm>
#include <cstdio>

namespace binserve::sched {

namespace {

constexpr double kWeight = 0.25;  // of the newest observation in the moving average

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3g s", s);
  return buf;
}

}  // namespace

void executor_pace::observe(double seconds_taken, std::int64_t slots) {
  if (slots <= 0 || seconds_taken < 0) return;
  const double sample = seconds_taken / static_cast<double>(slots);
  s_per_slot_ = s_per_slot_ == 0.0 ? sample : (1 - kWeight) * s_per_slot_ + kWeight * sample;
}

double executor_pace::expected_s(std::int64_t slots) const {
  return s_per_slot_ * static_cast<double>(std::max<std::int64_t>(slots, 0));
}

double executor_pace::deadline_s(const deadline_rule& rule, std::int64_t slots) const {
  return std::max(rule.floor_s, rule.slack * expected_s(slots));
}

std::string executor_pace::timed_out_text(double waited_s, std::int64_t slots) const {
  const std::string expected =
      s_per_slot_ == 0.0 ? "no estimate yet" : "expected ~" + seconds(expected_s(slots)) + " a step";
  return "timed out after " + seconds(waited_s) + " without progress, " + expected;
}

std::optional<deadline_timer> watchdog::arm(int e, clock& c, time_ns due) {
  c.timer = ++timers_;
  return deadline_timer{e, c.timer, due};
}

std::optional<deadline_timer> watchdog::start(int e, std::int64_t slots, time_ns now) {
  clock& c = clocks_[e];
  c.busy = true;
  c.slots = slots;
  c.since = now;
  if (c.timer != 0) return std::nullopt;
  return arm(e, c, now + static_cast<time_ns>(c.pace.deadline_s(rule_, slots) * 1e9));
}

std::optional<deadline_timer> watchdog::progress(int e, std::int64_t computed, time_ns now) {
  auto it = clocks_.find(e);
  if (it == clocks_.end() || !it->second.busy) return std::nullopt;
  it->second.pace.observe(seconds(now - it->second.since), computed);
  return start(e, it->second.slots, now);
}

void watchdog::stop(int e, std::int64_t computed, time_ns now) {
  auto it = clocks_.find(e);
  if (it == clocks_.end() || !it->second.busy) return;
  it->second.pace.observe(seconds(now - it->second.since), computed);
  it->second.busy = false;
}

watchdog::verdict watchdog::due(int e, std::uint64_t timer, time_ns now) {
  auto it = clocks_.find(e);
  if (it == clocks_.end() || it->second.timer != timer) return {};
  clock& c = it->second;
  c.timer = 0;
  if (!c.busy) return {};
  const double waited = seconds(now - c.since);
  const double left = c.pace.deadline_s(rule_, c.slots) - waited;
  if (left > 0) return {arm(e, c, now + static_cast<time_ns>(left * 1e9)), std::nullopt};
  return {std::nullopt, c.pace.timed_out_text(waited, c.slots)};
}

}  // namespace binserve::sched
