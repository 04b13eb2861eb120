// continuous-sjf: shortest predicted length first, with aging: the key is
// the predicted length less policy.sjf_aging_per_s tokens per second waited,
// so long requests still run. Orders admission only; never preempts.
#include "sched/policy.hpp"

namespace binserve::sched {

namespace {

class sjf final : public policy {
 public:
  explicit sjf(double aging_per_s) : aging_per_s_(aging_per_s) {}
  double key(const candidate& c) const override { return c.predicted - aging_per_s_ * c.waited_s; }

 private:
  double aging_per_s_;
};

}  // namespace

std::unique_ptr<policy> make_sjf(const policy_config& config) { return std::make_unique<sjf>(config.sjf_aging_per_s); }

}  // namespace binserve::sched
