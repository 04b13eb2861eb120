// The continuous policies: each one file (sched/<name>_policy.cpp) and its
// line below (its policy_kind and name: binserve/config.hpp, binserve/names.hpp).
#include "sched/policy.hpp"

#include <functional>

#include "binserve/names.hpp"

namespace binserve::sched {

// Defined in the policies' own files.
std::unique_ptr<policy> make_fcfs(const policy_config& config);
std::unique_ptr<policy> make_sjf(const policy_config& config);
std::unique_ptr<policy> make_srpt(const policy_config& config);

namespace {

struct registered {
  policy_kind kind;
  std::function<std::unique_ptr<policy>(const policy_config&)> make;
};

const std::vector<registered>& registry() {
  static const std::vector<registered> all = {
      {policy_kind::continuous, make_fcfs},
      {policy_kind::continuous_sjf, make_sjf},
      {policy_kind::continuous_srpt, make_srpt},
  };
  return all;
}

}  // namespace

std::vector<policy_kind> continuous_policies() {
  std::vector<policy_kind> out;
  for (const registered& r : registry()) out.push_back(r.kind);
  return out;
}

bool is_continuous(policy_kind kind) {
  for (const registered& r : registry())
    if (r.kind == kind) return true;
  return false;
}

status_or<std::unique_ptr<policy>> make_policy(const policy_config& config) {
  for (const registered& r : registry())
    if (r.kind == config.kind) return r.make(config);
  return status(error_code::config_invalid, "policy.kind: '" + name_of(config.kind) + "' is not a continuous policy");
}

}  // namespace binserve::sched
