// The client's length hint (request::length_hint) and the one rule by which
// it meets a predictor's own prediction. make_predictor puts a
// hinted_predictor in front of every predictor it builds, so the service
// and the simulator take the same rule.
//
// Owned and called like the predictor it wraps (one predictor actor); not
// thread-safe.
#pragma once

#include <memory>
#include <string>

#include "predict/length_predictor.hpp"

namespace binserve {

// The prediction for a request whose client hints `hint` tokens when the
// model alone predicts `predicted`: round(weight * hint + (1 - weight) *
// predicted), clamped to [1, max_new_tokens]. weight 1 takes the hint as
// it is, 0 ignores it. Preconditions: hint >= 1, weight in [0, 1].
[[nodiscard]] int blend_length_hint(int hint, int predicted, double weight, int max_new_tokens);

// A predictor in front of `inner` that applies the client's hint:
//  - in.known_length > 0 (the oracle's true length, trace replay): `inner`
//    alone, the hint ignored: a known length wins over everything;
//  - no hint (in.length_hint == 0) or weight 0: `inner` alone;
//  - weight 1: the hint, clamped (`inner` is not asked: no model forward);
//  - otherwise blend_length_hint of the hint and inner's prediction.
// observe() and name() are inner's: the hint changes no learning.
class hinted_predictor final : public length_predictor {
 public:
  // Preconditions: inner is not null, weight in [0, 1] (make_predictor checks it).
  hinted_predictor(std::unique_ptr<length_predictor> inner, double weight);

  int predict(const prediction_input& in) override;
  void observe(const prediction_input& in, int true_length) override;
  std::string name() const override { return inner_->name(); }

 private:
  std::unique_ptr<length_predictor> inner_;
  double weight_;
};

}  // namespace binserve
