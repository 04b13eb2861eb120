// The request intake actor: the one place that knows every request in
// flight. It enforces the limits (explicit `overloaded` when the queue is
// full, never an unbounded queue), starts each request's deadline, and
// guarantees exactly one final result or error per request: whatever comes
// later for a finished request (a result after a cancel, a token after a
// timeout) is dropped here.
//
// It spawns, and links, the predictor and the scheduler (which spawns the
// bins and executors), so exiting it stops the whole pipeline.
#pragma once

#include <memory>

#include "actors/client_sink.hpp"
#include "actors/messages.hpp"
#include "actors/scheduler_actor.hpp"
#include "gpu/tokenizer.hpp"
#include "predict/length_predictor.hpp"

namespace binserve {

struct intake_params {
  limits_config limits;                  // max_prompt_tokens already resolved (> 0)
  std::shared_ptr<const tokenizer> tok;  // for result text
  std::shared_ptr<client_sink> sink;
  scheduler_params scheduler;
  std::shared_ptr<length_predictor> predictor;
};

intake_actor spawn_intake_actor(caf::actor_system& sys, intake_params params, stats_actor stats);

}  // namespace binserve
