// The predictor actor: attaches a predicted response length to each job and
// learns from every finished request's true length.
#pragma once

#include <memory>

#include "actors/messages.hpp"
#include "predict/length_predictor.hpp"

namespace binserve {

predictor_actor spawn_predictor_actor(caf::actor_system& sys, std::shared_ptr<length_predictor> predictor,
                                      scheduler_actor scheduler);

}  // namespace binserve
