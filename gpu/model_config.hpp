// The shape of a Llama-architecture model, shared by loaders and backends.
#pragma once

#include <cstdint>
#include <string>

#include "binserve/status.hpp"

namespace binserve {

struct model_config {
  int dim = 0;          // residual stream width
  int hidden_dim = 0;   // SwiGLU inner width
  int n_layers = 0;
  int n_heads = 0;      // query heads
  int n_kv_heads = 0;   // key/value heads (grouped-query attention when < n_heads)
  int vocab_size = 0;
  int n_ctx = 0;        // longest sequence (prompt + generated) the model serves
  float norm_eps = 1e-5f;       // RMSNorm epsilon
  float rope_theta = 10000.0f;  // RoPE base; pairs (2i, 2i+1) of each head rotate
  bool shared_classifier = true;  // logits use token_embedding when true

  int head_dim() const { return dim / n_heads; }
  int kv_dim() const { return n_kv_heads * head_dim(); }
  int kv_group() const { return n_heads / n_kv_heads; }  // query heads per kv head

  // Number of fp32/fp16 elements in all weights (what a backend uploads).
  // Precondition for a shape read from a file: validate() passed.
  std::int64_t n_params() const;
  static constexpr std::int64_t kMaxParams = std::int64_t(1) << 40;

  // Returns ok, or model_invalid naming the first inconsistent field
  // (non-positive sizes, dim not divisible by n_heads, n_heads not a multiple
  // of n_kv_heads, odd head_dim, more than kMaxParams parameters).
  status validate() const;
};

// Shapes of well-known models, for `dummy:PRESET`. Returns invalid_argument
// listing the known names when `name` is not one of them.
status_or<model_config> model_preset(const std::string& name);

// "stories260k, stories15m, stories42m, stories110m, llama2-7b, llama2-13b"
std::string model_preset_names();

}  // namespace binserve
