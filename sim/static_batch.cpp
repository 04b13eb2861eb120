#include "sim/static_batch.hpp"

#include <algorithm>
#include <numeric>

namespace binserve::sim {

batch_timing time_static_batch(const std::vector<batch_member>& members, const cost_model& cost) {
  const size_t n = members.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return members[a].steps < members[b].steps; });
  batch_timing out;
  out.leave_s.assign(n, 0.0);
  out.steps = members[order.back()].steps;
  step_shape shape{static_cast<std::int64_t>(n), 0, 0};
  for (const batch_member& m : members) {
    shape.context_tokens += m.held;
    shape.prefill_tokens += m.held - 1;
  }
  double t = 0;
  size_t next = 0;  // into order: the next member to leave
  for (int s = 1; s <= out.steps; ++s) {
    t += cost.step_seconds(shape);
    if (s == 1) out.first_step_s = t;
    shape.prefill_tokens = 0;
    for (; next < n && members[order[next]].steps == s; ++next) {
      out.leave_s[order[next]] = t;
      shape.context_tokens -= members[order[next]].held + s - 1;
      --shape.live;
    }
    shape.context_tokens += shape.live;  // each remaining sequence appends one token
  }
  out.duration_s = t;
  return out;
}

}  // namespace binserve::sim
