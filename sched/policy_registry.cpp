// The continuous policies: each one file (sched/<name>_policy.cpp) and its
// line below.
#include "sched/policy.hpp"

#include <algorithm>
#include <functional>

namespace binserve::sched {

// Defined in the policies' own files.
std::unique_ptr<policy> make_fcfs(const policy_config& config);
std::unique_ptr<policy> make_sjf(const policy_config& config);
std::unique_ptr<policy> make_srpt(const policy_config& config);

namespace {

struct registered {
  std::string name;
  std::function<std::unique_ptr<policy>(const policy_config&)> make;
};

const std::vector<registered>& registry() {
  static const std::vector<registered> all = {
      {"continuous", make_fcfs},
      {"continuous-sjf", make_sjf},
      {"continuous-srpt", make_srpt},
  };
  return all;
}

}  // namespace

const std::vector<std::string>& continuous_policy_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const registered& r : registry()) out.push_back(r.name);
    return out;
  }();
  return names;
}

bool is_continuous(const std::string& kind) {
  const auto& names = continuous_policy_names();
  return std::find(names.begin(), names.end(), kind) != names.end();
}

status_or<std::unique_ptr<policy>> make_policy(const policy_config& config) {
  for (const registered& r : registry())
    if (r.name == config.kind) return r.make(config);
  return status(error_code::config_invalid, "policy.kind: '" + config.kind + "' is not a continuous policy");
}

}  // namespace binserve::sched
