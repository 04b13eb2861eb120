#include "predict/baseline_predictors.hpp"

#include <algorithm>
#include <cmath>

namespace binserve {

namespace {

int clamp_to_limit(double length, const prediction_input& in) {
  const int limit = std::max(1, in.max_new_tokens);
  return static_cast<int>(std::clamp(std::ceil(length), 1.0, double(limit)));
}

}  // namespace

int oracle_predictor::predict(const prediction_input& in) {
  return clamp_to_limit(in.known_length > 0 ? in.known_length : fallback_, in);
}

int fixed_predictor::predict(const prediction_input& in) { return clamp_to_limit(length_, in); }

int prompt_ratio_predictor::predict(const prediction_input& in) {
  return clamp_to_limit(ratio_ * double(in.prompt_ids.size()), in);
}

}  // namespace binserve
