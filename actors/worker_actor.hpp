// The worker actor: what `binserve worker` publishes on its host:port (CAF's
// io middleman) for a coordinator to use this node's executors. It owns the
// node's backends (one per executor) and answers hello (protocol version and
// model fingerprint must match the coordinator's, else an error naming both
// sides) and attach (spawn one executor per backend, reporting to the
// coordinator's scheduler, intake and stats). One coordinator at a time: the
// worker monitors its scheduler and, when it goes down (the coordinator
// stopped or the link dropped), stops the executors; once they are gone a
// coordinator may attach again.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "actors/executor_actor.hpp"
#include "actors/messages.hpp"
#include "gpu/backend.hpp"

namespace binserve {

struct worker_params {
  std::vector<std::shared_ptr<backend>> backends;  // one executor each
  std::string fingerprint;                         // model_fingerprint() of the model they serve
  std::string model;                               // its name, for messages
  executor_probe probe;                            // the executors' probe (predictor.probe_file; none: null)
};

worker_actor spawn_worker_actor(caf::actor_system& sys, worker_params params);

}  // namespace binserve
