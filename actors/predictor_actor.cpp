#include "actors/predictor_actor.hpp"

namespace binserve {

namespace {

struct predictor_state {
  predictor_state() = default;
  scheduler_actor scheduler;
};

prediction_input input_of(const job& j) {
  return {j.prompt, j.gen.prompt_ids, j.known_length, j.gen.max_new_tokens, j.length_hint};
}

predictor_actor::behavior_type predictor_behavior(predictor_actor::stateful_pointer<predictor_state> self,
                                                  std::shared_ptr<length_predictor> predictor,
                                                  scheduler_actor scheduler) {
  self->state.scheduler = std::move(scheduler);
  return {
      [self, predictor](job& j) {
        j.predicted_length = predictor->predict(input_of(j));
        self->send(self->state.scheduler, std::move(j));
      },
      [predictor](observe_atom, const job& j, int true_length) { predictor->observe(input_of(j), true_length); },
  };
}

}  // namespace

predictor_actor spawn_predictor_actor(caf::actor_system& sys, std::shared_ptr<length_predictor> predictor,
                                      scheduler_actor scheduler) {
  return sys.spawn(predictor_behavior, std::move(predictor), std::move(scheduler));
}

}  // namespace binserve
