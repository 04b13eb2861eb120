// continuous-srpt: shortest predicted remaining length first, preemptive.
// The key is the prediction less the tokens already generated, at least 1
// (the core gives a request that outlives its prediction a fresh estimate,
// never a remaining of zero). A waiting request with less remaining takes
// the place of the running one with the most; the core's starvation guard
// (policy.max_wait_steps) and policy.max_preemptions bound what that costs
// the long ones.
#include <algorithm>

#include "sched/policy.hpp"

namespace binserve::sched {

namespace {

class srpt final : public policy {
 public:
  double key(const candidate& c) const override { return std::max(1, c.predicted - c.generated); }
  bool preemptive() const override { return true; }
};

}  // namespace

std::unique_ptr<policy> make_srpt(const policy_config&) { return std::make_unique<srpt>(); }

}  // namespace binserve::sched
