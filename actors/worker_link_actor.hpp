// A worker link: the coordinator's side of one worker node (`binserve
// worker`). It connects through CAF's io middleman (asynchronously: the
// middleman actor's connect, never a blocking call on a shared thread),
// checks the worker's interface (a typed handle: a build with other message
// types fails here), protocol version and model fingerprint, then attaches:
// the worker spawns executors reporting to this node's scheduler, intake and
// stats, and the link hands them to the scheduler (join), which monitors
// each one. The link monitors the worker; when it goes down, or any step
// fails, it dials again after an exponential backoff (100 ms doubling to
// 2 s), so a restarted worker is used again. Refusals (another build or
// model) are printed to stderr, naming both sides, and retried at the
// backoff too: the operator may restart the worker with the right model.
//
// Spawned and linked by the scheduler; needs the io middleman loaded.
#pragma once

#include <string>

#include "actors/messages.hpp"

namespace binserve {

struct worker_link_params {
  std::string host;
  int port = 0;
  int node = 0;             // > 0: its node number in stats
  std::string fingerprint;  // this node's model_fingerprint()
  executor_params each;     // how the worker's executors run (index and node set per attach)
};

worker_link_actor spawn_worker_link_actor(caf::actor_system& sys, worker_link_params params, scheduler_actor scheduler,
                                          intake_actor intake, stats_actor stats);

}  // namespace binserve
