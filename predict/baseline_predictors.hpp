// Predictors that learn nothing: the baselines learned predictors must beat.
#pragma once

#include "predict/length_predictor.hpp"

namespace binserve {

// The length the request says it will have (trace replay, or a client that
// knows), else `fallback`: the upper bound of what prediction can achieve.
class oracle_predictor final : public length_predictor {
 public:
  explicit oracle_predictor(int fallback) : fallback_(fallback) {}
  int predict(const prediction_input& in) override;
  void observe(const prediction_input&, int) override {}
  std::string name() const override { return "oracle"; }

 private:
  int fallback_;
};

// The same length for every request (e.g. the median of a training set).
class fixed_predictor final : public length_predictor {
 public:
  explicit fixed_predictor(int length) : length_(length) {}
  int predict(const prediction_input& in) override;
  void observe(const prediction_input&, int) override {}
  std::string name() const override { return "fixed"; }

 private:
  int length_;
};

// ratio x the prompt's length in tokens.
class prompt_ratio_predictor final : public length_predictor {
 public:
  explicit prompt_ratio_predictor(double ratio) : ratio_(ratio) {}
  int predict(const prediction_input& in) override;
  void observe(const prediction_input&, int) override {}
  std::string name() const override { return "prompt-ratio"; }

 private:
  double ratio_;
};

}  // namespace binserve
