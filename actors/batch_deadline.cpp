#include "actors/batch_deadline.hpp"

#include <algorithm>
#include <cstdio>

namespace binserve {

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

}  // namespace binserve
