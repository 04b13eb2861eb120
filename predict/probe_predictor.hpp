// `probe`: the served model perceives its own remaining length. A small
// classifier (predict/softmax_mlp.hpp) reads the residual stream of some
// layers at a sequence's last token (backend::layer_states, from the forward
// the executor runs anyway), the tokens generated so far and the prompt's
// length, and gives a distribution over bins of the remaining length (equal
// mass over the training rows). It is read at admission and every
// refresh_tokens tokens after.
//
// Across refreshes a sequence's belief pools the readings (a documented
// alternative to TRAIL's Bayesian filter):
//   prior_t(y)  = shift(belief_{t-1}, tokens since): each bin's mass moves
//                 down by that many tokens (uniform within a bin); mass that
//                 would have ended is dropped, as the sequence still runs
//   belief_t(y) ∝ prior_t(y)^smoothing * p(y | x_t)
// smoothing = 0 is the latest reading alone; 1 keeps every earlier reading at
// full weight. The exact Bayes update divides p by the bins' prior at that
// step; that ratio explodes in the tails, where the classifier is least
// calibrated: on synthetic sequences whose readings carry independent noise
// it did worse than the latest reading alone, where pooling halves its error
// (tests/predict/probe_predictor_test.cpp), so the probe pools. The prediction is the belief's q-quantile (q = 0.5,
// the median: what the absolute error rewards), interpolated within its bin.
//
// Not thread-safe: one owner.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "binserve/status.hpp"
#include "gpu/model_config.hpp"
#include "predict/softmax_mlp.hpp"
#include "predict/state_trace.hpp"

namespace binserve {

struct probe_options {
  int bins = 32;           // classes of remaining length
  double quantile = 0.5;   // the read-out
  double smoothing = 0.5;  // in [0, 1]: the weight of earlier readings (0: none)
  mlp_options mlp;
};

// What the probe reads at one refresh of a sequence.
struct probe_input {
  std::span<const float> states;  // backend::layer_states: [layers, dim]
  int step = 0;                   // tokens generated so far
  int prompt_tokens = 0;
};

struct probe_example {
  probe_input in;
  int remaining = 0;  // tokens still to come after in.step
};

class probe_predictor {
 public:
  // A sequence's state: the distribution over bins and the step it is for.
  struct belief {
    std::vector<float> p;  // [bins]
    int step = -1;         // -1: not read yet
  };

  // Fits bins, feature scaling and the classifier to `rows`
  // (read from `layers` of the served model, every `refresh_tokens`).
  // Errors: invalid_argument (no rows, rows of different widths, fewer
  // distinct remaining lengths than 2).
  static status_or<probe_predictor> train(std::span<const probe_example> rows, std::vector<int> layers,
                                          int refresh_tokens, const probe_options& o, std::uint64_t seed);

  const std::vector<int>& layers() const { return layers_; }
  int refresh_tokens() const { return refresh_tokens_; }
  int width() const { return width_; }  // floats of probe_input::states
  void set_smoothing(double s) { options_.smoothing = s; }

  // Whether this probe can read a model of shape `c`: its layers within
  // n_layers and its width layers x dim. Errors: invalid_argument saying which.
  status fits(const model_config& c) const;

  // Reads `in` into b (in.step at or after b.step; precondition: in.states has width()).
  void refresh(belief& b, const probe_input& in) const;
  // The predicted remaining tokens (>= 0) of a belief that has been read.
  int remaining(const belief& b) const;

  // Online learning: one SGD step of rate lr towards e's bin.
  void learn(const probe_example& e, double lr);

  // JSON. Errors: io_error; model_invalid naming the path (not a probe,
  // sizes that do not match, bins not increasing).
  status save(const std::string& path) const;
  static status_or<probe_predictor> load(const std::string& path);

 private:
  probe_predictor(std::vector<int> layers, int refresh_tokens, int width, const probe_options& o, softmax_mlp head);
  std::vector<float> features(const probe_input& in) const;  // [width + 3], scaled
  int bin_of(int remaining) const;
  std::vector<float> shifted(const belief& b, int tokens) const;

  std::vector<int> layers_;
  int refresh_tokens_, width_;
  probe_options options_;
  std::vector<int> edges_;             // [bins + 1]: bin j holds [edges_[j], edges_[j + 1])
  std::vector<float> mean_, inv_std_;  // [width + 3]: feature scaling
  // [steps][bins]: the classifier's mean reading over training rows at step
  // s * refresh_tokens (later steps share the last)
  std::vector<std::vector<float>> marginal_;
  softmax_mlp head_;
};

// The labelled rows of `t` whose generation g is in `keep`: generation g
// answered a prompt of prompt_tokens[g] tokens with lengths[g] tokens, so its
// row at step s has lengths[g] - s to come. The spans point into t.
// Errors: invalid_argument (a row's generation outside lengths, a step past
// its generation's length, states of another width than t's).
status_or<std::vector<probe_example>> probe_examples(const state_trace& t, std::span<const int> lengths,
                                                     std::span<const int> prompt_tokens, const std::vector<bool>& keep);

}  // namespace binserve
