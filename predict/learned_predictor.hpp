// `learned`: quantile regression on prompt features, trained offline from a
// dataset and online from every finished request's true length.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "predict/dataset.hpp"
#include "predict/length_predictor.hpp"
#include "predict/quantile_regression.hpp"

namespace binserve {

class learned_predictor final : public length_predictor {
 public:
  // Untrained (predicts ~0 until it learns): `online` decides whether
  // observe() trains it. Precondition: options.n_features >
  // prompt_feature_hashed_begin.
  learned_predictor(const quantile_regressor_options& options, bool online);

  // Trains on `examples` for `epochs` passes in a seeded shuffled order.
  void train(const std::vector<example>& examples, int epochs, std::uint64_t seed);

  int predict(const prediction_input& in) override;
  void observe(const prediction_input& in, int true_length) override;
  std::string name() const override { return "learned"; }

  // Errors: io_error, model_invalid (see quantile_regressor::load; also
  // trailing bytes, or too few features for prompt_features). A loaded model
  // keeps the quantile it was trained for.
  status save(const std::string& path) const;
  static status_or<std::unique_ptr<learned_predictor>> load(const std::string& path, bool online);

 private:
  learned_predictor(quantile_regressor model, bool online);
  std::vector<sparse_feature> features(std::string_view prompt, std::span<const int> ids) const;

  quantile_regressor model_;
  bool online_;
};

}  // namespace binserve
