// A bin actor: holds the jobs whose predicted length falls in its range and
// hands batches of them to the scheduler. The core's bin state
// (sched/bin.hpp) decides; the actor turns its effects into messages: it tells the
// scheduler when it is full, or once its oldest job has waited max_wait,
// and the scheduler pulls a batch (round-robin across clients) when an
// executor is idle (actors/messages.hpp has the protocol). Spawned and
// linked by the scheduler.
#pragma once

#include <chrono>
#include <functional>

#include "actors/messages.hpp"
#include "sched/bin_layout.hpp"

namespace binserve {

struct bin_actor_params {
  int index = 0;
  sched::bin_spec spec;
  std::chrono::milliseconds max_wait{50};
  // For tests: called on the bin's thread after each event (`pushed`: a job
  // arrived) with whether a flush timer is armed.
  std::function<void(int bin, bool pushed, bool armed)> on_bin;
};

bin_actor spawn_bin_actor(caf::actor_system& sys, const bin_actor_params& params, scheduler_actor scheduler,
                          stats_actor stats);

}  // namespace binserve
