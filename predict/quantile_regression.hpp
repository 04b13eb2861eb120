// A linear quantile regressor: predicts the q-quantile of a target from
// sparse features, trained by stochastic gradient descent on the pinball
// loss  L_q(y, p) = max(q (y - p), (q - 1)(y - p)).
// With q = 0.5 it predicts the median; with q = 0.9 a likely maximum, which
// is what a length-binning scheduler wants (under-prediction costs a
// recomputation, over-prediction only padding).
//
// The target is modelled in log space (log1p of the length): quantiles are
// preserved by monotone maps, and lengths are multiplicative in nature.
//
// Not thread-safe: one owner.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "binserve/status.hpp"

namespace binserve {

struct sparse_feature {
  std::uint32_t index;  // < n_features
  float value;
};

struct quantile_regressor_options {
  int n_features = 1 << 18;
  double quantile = 0.8;        // in (0, 1)
  double learning_rate = 0.05;  // of each SGD step (scaled per feature by AdaGrad)
  double l2 = 1e-6;
};

class quantile_regressor {
 public:
  // All weights zero (predicts 0). Preconditions: options.n_features in
  // [1, 2^24], quantile in (0, 1), learning_rate > 0, l2 >= 0.
  explicit quantile_regressor(const quantile_regressor_options& options);

  // Predicted q-quantile of the length (not its log), >= 0.
  double predict(std::span<const sparse_feature> x) const;

  // One SGD step towards `length` (>= 0) for features x.
  void update(std::span<const sparse_feature> x, double length);

  const quantile_regressor_options& options() const { return options_; }
  std::int64_t updates() const { return updates_; }

  // Binary, little-endian, with a magic and version. Errors: io_error,
  // model_invalid (wrong magic/version, truncated, sizes out of range).
  status save(std::ostream& out) const;
  static status_or<quantile_regressor> load(std::istream& in);

  // The same, as a whole file: errors name the path; a file with bytes
  // after the model is model_invalid.
  status save_file(const std::string& path) const;
  static status_or<quantile_regressor> load_file(const std::string& path);

 private:
  quantile_regressor(const quantile_regressor_options& options, std::vector<float> weights, std::vector<float> grad_sq,
                     std::int64_t updates);

  // w . x: the predicted log1p(length), not clamped.
  double raw(std::span<const sparse_feature> x) const;

  quantile_regressor_options options_;
  std::vector<float> weights_;  // [n_features]
  std::vector<float> grad_sq_;  // AdaGrad accumulators [n_features]
  std::int64_t updates_ = 0;
};

}  // namespace binserve
