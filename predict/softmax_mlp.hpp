// A small classifier: p = softmax(W2 relu(W1 x + b1) + b2), one hidden layer
// of `hidden` units (0: none, p = softmax(W2 x + b2), a linear softmax),
// trained by Adam on the cross-entropy in shuffled minibatches, and online by
// plain SGD steps. The probe predictor's head (predict/probe_predictor.hpp).
//
// Not thread-safe: one owner.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "binserve/status.hpp"

namespace binserve {

struct mlp_options {
  int hidden = 64;              // units of the hidden layer, 0: linear
  double learning_rate = 1e-3;  // Adam's step
  double l2 = 1e-5;             // weight decay on W1 and W2
  int batch = 256;              // rows per minibatch
  int epochs = 10;
};

class softmax_mlp {
 public:
  // Random weights (He initialisation from `seed`). Preconditions: inputs,
  // classes >= 1, hidden >= 0.
  softmax_mlp(int inputs, int classes, int hidden, std::uint64_t seed);

  int inputs() const { return inputs_; }
  int classes() const { return classes_; }

  // p (classes) = the class probabilities of x (inputs).
  void probabilities(std::span<const float> x, std::span<float> p) const;

  // Trains on x [n, inputs] (row-major) with labels y [n] in [0, classes).
  void fit(std::span<const float> x, std::span<const int> y, const mlp_options& o, std::uint64_t seed);

  // One SGD step of rate `lr` towards label y for x.
  void step(std::span<const float> x, int y, double lr);

  nlohmann::json to_json() const;
  // Errors: model_invalid naming `where` (missing fields, sizes that do not
  // match, non-finite weights).
  static status_or<softmax_mlp> from_json(const nlohmann::json& j, const std::string& where);

 private:
  softmax_mlp(int inputs, int classes, int hidden);  // no weights yet (from_json fills them)
  struct batch_state;
  // s.h (m, hidden) and s.p (m, classes) for the m rows of x.
  void forward(const float* x, int m, batch_state& s) const;
  // The mean cross-entropy's gradients over m rows, with weight decay l2, into s.
  void gradients(const float* x, const int* y, int m, double l2, batch_state& s) const;

  int inputs_, classes_, hidden_;
  // hidden > 0: w1 [hidden, inputs], b1 [hidden], w2 [classes, hidden];
  // hidden == 0: w2 [classes, inputs]. b2 [classes].
  std::vector<float> w1_, b1_, w2_, b2_;
};

}  // namespace binserve
