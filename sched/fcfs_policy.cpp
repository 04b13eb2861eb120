// continuous: first come first served, round-robin across clients. Each
// client's oldest waiting request ranks 0, its next 1, ...; ties go by
// arrival. So one client's flood cannot starve another, and a single client
// is served in arrival order. Never preempts.
#include "sched/policy.hpp"

namespace binserve::sched {

namespace {

class fcfs final : public policy {
 public:
  double key(const candidate& c) const override { return c.client_position; }
};

}  // namespace

std::unique_ptr<policy> make_fcfs(const policy_config&) { return std::make_unique<fcfs>(); }

}  // namespace binserve::sched
