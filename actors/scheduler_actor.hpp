// The scheduler actor: routes predicted jobs to bin actors, queues the
// batches they emit and dispatches each to an idle executor (FIFO, so every
// emitted batch runs in turn); sends overflowed jobs to the retry bin. For
// continuous policies it holds the waiting jobs itself and admits them into
// executors' running batches as slots free up (FCFS, or shortest predicted
// length first with aging).
#pragma once

#include <memory>
#include <vector>

#include "actors/bin_layout.hpp"
#include "actors/messages.hpp"
#include "gpu/backend.hpp"

namespace binserve {

struct scheduler_params {
  policy_config policy;
  bin_layout layout;
  std::vector<std::shared_ptr<backend>> backends;  // one executor each
};

// Spawns the scheduler linked to `parent` (the intake); it spawns and links
// its bin and executor actors.
scheduler_actor spawn_scheduler_actor(caf::local_actor* parent, scheduler_params params,
                                      intake_actor intake, stats_actor stats);

}  // namespace binserve
