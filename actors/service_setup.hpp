// binserve: what a service is started with beyond the embedding API's
// service_config: switches only tests and measurement set. A deployment
// file reaches them (`faults`, `logging.step_trace`) through `binserve
// serve`, binserve-bench through its flags; an embedder never sees them.
#pragma once

#include <memory>
#include <string>

#include "binserve/config.hpp"
#include "binserve/service.hpp"
#include "binserve/status.hpp"
#include "gpu/model.hpp"

namespace binserve {

// Faults injected on purpose, to test the failure paths. Off by default.
struct fault_config {
  int kill_executor_every_n_steps = 0;   // > 0: each local executor throws at this step of its life
  int stall_executor_after_n_steps = 0;  // > 0: the first local executor blocks at this step, once,
  int stall_ms = 10000;                  //       for this long (alive, connected, no progress)
  int step_delay_ms = 0;                 // > 0: every executor sleeps this long each step (slow, alive)
};

struct service_setup : service_config {
  fault_config faults;
  // Non-empty: every local executor appends one JSON line per step to this
  // file (its shape and seconds; actors/step_trace.hpp), from which
  // `binserve-bench sim --cost FILE` fits its cost model. Empty: off.
  std::string step_trace;
  // Non-null: `model`, loaded already with `stop_tokens` (by the deployment's
  // validation, config/deployment_check.hpp), served as it is instead of
  // being loaded again.
  std::shared_ptr<const binserve::model> loaded;  // (`model` here names the path)
};

// service::start with the switches (service::start(c) is this with none).
// Errors: those of service::start; io_error when step_trace cannot be
// opened for appending.
status_or<std::unique_ptr<service>> start_service(const service_setup& setup);

}  // namespace binserve
