// A served model's own generations seen from inside: at each refresh point
// of each generation (after 0, R, 2R, ... generated tokens, R =
// refresh_tokens) the residual stream of some layers at the last token
// (backend::layer_states). With the generations' lengths (line g of the
// `predictor collect` JSONL beside it is generation g) every row is labelled
// with the tokens still to come: the probe predictor's training data.
//
// File: "BSTRACE1", then little-endian int32 n_layers, layers[n_layers],
// dim, refresh_tokens, int64 rows, then per row int32 generation, int32 step
// and float32 states[n_layers * dim].
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "binserve/status.hpp"

namespace binserve {

class state_trace {
 public:
  state_trace(std::vector<int> layers, int dim, int refresh_tokens);

  const std::vector<int>& layers() const { return layers_; }
  int dim() const { return dim_; }
  int refresh_tokens() const { return refresh_tokens_; }
  int width() const { return static_cast<int>(layers_.size()) * dim_; }  // floats per row

  // Precondition: states.size() == width().
  void add(int generation, int step, std::span<const float> states);

  std::size_t rows() const { return generation_.size(); }
  int generation(std::size_t r) const { return generation_[r]; }
  int step(std::size_t r) const { return step_[r]; }
  std::span<const float> states(std::size_t r) const { return {states_.data() + r * width(), std::size_t(width())}; }

  // Errors: io_error naming the path.
  status save(const std::string& path) const;
  // Errors: io_error; model_invalid naming the path (wrong magic, sizes out
  // of range, truncated, trailing bytes, a negative generation or step).
  static status_or<state_trace> load(const std::string& path);

 private:
  std::vector<int> layers_;
  int dim_, refresh_tokens_;
  std::vector<std::int32_t> generation_, step_;
  std::vector<float> states_;  // [rows, width]
};

}  // namespace binserve
