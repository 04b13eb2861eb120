// A continuous scheduling policy: the order in which the scheduling core
// (sched/core.hpp) runs requests, and whether a better waiting request may
// take a running one's place. A policy is one file under sched/ plus one
// line in sched/policy_registry.cpp; nothing else names it.
//
// The core orders every candidate by (priority class, higher first), then
// the starvation guard (a request waiting policy.max_wait_steps steps goes
// first within its class), then the policy's key (smaller first), then, for
// a preemptive policy, running before waiting, then arrival. So a policy
// only says how it ranks one request.
//
// Pure and stateless; any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "binserve/config.hpp"
#include "binserve/status.hpp"

namespace binserve::sched {

// What a policy may rank a request by.
struct candidate {
  int predicted = 0;  // predicted total output length (>= 1)
  int generated = 0;  // tokens generated so far, across preemptions
  int max_new_tokens = 0;
  int client_position = 0;  // waiting: its place among its client's waiting requests (0: the oldest)
  double waited_s = 0;      // since it arrived
};

class policy {
 public:
  virtual ~policy() = default;
  // Smaller runs first, within a priority class.
  virtual double key(const candidate& c) const = 0;
  // True: a waiting request with a smaller key replaces the running one with
  // the largest (the core preempts it). False: running requests run to the end.
  virtual bool preemptive() const { return false; }
};

// The continuous policies, in the registry's order.
std::vector<policy_kind> continuous_policies();
bool is_continuous(policy_kind kind);

// Errors: config_invalid when kind is not a continuous policy.
status_or<std::unique_ptr<policy>> make_policy(const policy_config& config);

}  // namespace binserve::sched
