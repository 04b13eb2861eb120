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

status_or<std::unique_ptr<length_predictor>> make_predictor(const predictor_config& c) {
  if (c.fixed_length < 1)
    return status(error_code::config_invalid, "predictor.fixed_length must be at least 1");
  if (c.kind == "oracle") return std::unique_ptr<length_predictor>(new oracle_predictor(c.fixed_length));
  if (c.kind == "fixed") return std::unique_ptr<length_predictor>(new fixed_predictor(c.fixed_length));
  if (c.kind == "prompt-ratio") {
    if (!(c.ratio > 0))
      return status(error_code::config_invalid, "predictor.ratio must be positive");
    return std::unique_ptr<length_predictor>(new prompt_ratio_predictor(c.ratio));
  }
  return status(error_code::config_invalid,
                "predictor.kind '" + c.kind + "' is unknown (known: oracle, fixed, prompt-ratio)");
}

}  // namespace binserve
