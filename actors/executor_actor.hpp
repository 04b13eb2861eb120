// An executor actor: owns one backend (a model replica; on a GPU, its CUDA
// stream) and runs batches on it, one forward per `step` message so that
// cancels and (for continuous batching) admissions interleave with steps.
// Spawned detached: its blocking compute never stalls the shared scheduler.
//
// Static batches (binned policies): a batch holds the executor until its
// last sequence ends or reaches the batch's length cap; finished sequences
// stop computing but their slots still count as computed work (that idle
// capacity is what binning removes). Sequences at the cap go back to the
// scheduler as retry jobs.
#pragma once

#include <memory>

#include "actors/messages.hpp"
#include "gpu/backend.hpp"

namespace binserve {

struct executor_params {
  int index = 0;
  bool continuous = false;    // admit/leave at every step instead of static batches
  bool resume = false;        // retry mode: keep overflowed tokens (else restart)
  int max_batch_size = 256;   // continuous: the most live sequences
};

// Spawns the executor linked to `parent`, which it reports to.
executor_actor spawn_executor_actor(caf::local_actor* parent, const executor_params& params,
                                    std::shared_ptr<backend> b, scheduler_actor scheduler,
                                    intake_actor intake, stats_actor stats);

}  // namespace binserve
