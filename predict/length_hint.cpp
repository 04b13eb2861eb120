#include "predict/length_hint.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace binserve {

int blend_length_hint(int hint, int predicted, double weight, int max_new_tokens) {
  assert(hint >= 1 && weight >= 0 && weight <= 1);
  const double blended = weight * hint + (1 - weight) * predicted;
  return static_cast<int>(std::clamp(std::lround(blended), 1L, static_cast<long>(std::max(1, max_new_tokens))));
}

hinted_predictor::hinted_predictor(std::unique_ptr<length_predictor> inner, double weight)
    : inner_(std::move(inner)), weight_(weight) {
  assert(inner_ && weight_ >= 0 && weight_ <= 1);
}

int hinted_predictor::predict(const prediction_input& in) {
  if (in.known_length > 0 || in.length_hint <= 0 || weight_ == 0) return inner_->predict(in);
  const int predicted = weight_ == 1 ? in.length_hint : inner_->predict(in);
  return blend_length_hint(in.length_hint, predicted, weight_, in.max_new_tokens);
}

void hinted_predictor::observe(const prediction_input& in, int true_length) { inner_->observe(in, true_length); }

}  // namespace binserve
