// binserve: the rules every value of a deployment keeps, written once.
//
// service::start, the TCP and HTTP servers' start, the bin layout, the
// predictor factory and the deployment loader all run these, so a config
// built in code and a deployment file are held to the same rules and a
// broken one names the same key in the same words:
//   "backend.threads: must be in [0, 1024] (got 100000)"
// The loader adds where the key was written ("FILE:LINE:COL: " first).
//
// What is checked here: each value's range, the predictor kinds (plain
// strings), and the rules between values of one config (max_batch_size >=
// batch_size; executors 0 needs workers). Not here: value types and the
// enums' names (the loader's parsing), what only the machine or the files
// can tell (config/deployment_check.hpp).
//
// Thread-safe: pure functions of their arguments.
#pragma once

#include <optional>
#include <string>

#include "binserve/config.hpp"
#include "binserve/status.hpp"

namespace binserve {

struct service_setup;  // actors/service_setup.hpp
struct server_config;  // net/server_config.hpp

// The first rule a config breaks.
struct config_violation {
  std::string key;   // as a deployment file spells it: "policy.bins", "workers[1].port"
  std::string what;  // "must be in [1, 1024] (got 1025)"
};

// The first broken rule, in the order the deployment file lists the keys
// (model, backend, executors, policy, predictor, limits, workers; faults);
// none when `c` keeps them all.
std::optional<config_violation> first_violation(const service_config& c);
std::optional<config_violation> first_violation(const service_setup& c);  // then faults
std::optional<config_violation> first_violation(const policy_config& c);
std::optional<config_violation> first_violation(const predictor_config& c);
std::optional<config_violation> first_violation(const server_config& c);

// first_violation as a status: config_invalid "KEY: what", or ok.
status check_rules(const service_config& c);
status check_rules(const service_setup& c);
status check_rules(const policy_config& c);
status check_rules(const predictor_config& c);
status check_rules(const server_config& c);

// The shortest text that reads back as `v` ("0.5", "1e-09", "nan"), as the
// rules' messages and the deployment writer print numbers.
std::string number_text(double v);

}  // namespace binserve
