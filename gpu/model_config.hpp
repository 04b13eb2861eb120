// The shape of a Llama-architecture model, shared by loaders and backends.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "binserve/status.hpp"

namespace binserve {

// Which elements of a head RoPE rotates together: (2i, 2i+1), as llama2.c,
// Meta's checkpoints and llama.cpp's "llama" GGUFs store q/k; or (i, i +
// head_dim/2), GPT-NeoX's order, which Hugging Face and llama.cpp's "qwen2"
// GGUFs use. Either way pair i turns by pos * theta^(-2i/head_dim) / factor_i.
enum class rope_style { interleaved, halves };

struct model_config {
  int dim = 0;         // residual stream width
  int hidden_dim = 0;  // SwiGLU inner width
  int n_layers = 0;
  int n_heads = 0;     // query heads
  int n_kv_heads = 0;  // key/value heads (grouped-query attention when < n_heads)
  int vocab_size = 0;
  int n_ctx = 0;                // longest sequence (prompt + generated) the model serves
  float norm_eps = 1e-5f;       // RMSNorm epsilon
  float rope_theta = 10000.0f;  // RoPE base
  rope_style rope = rope_style::interleaved;
  // Empty, or head_dim / 2 divisors of the RoPE frequencies (Llama 3's long-
  // context scaling; a GGUF's rope_freqs.weight; linear scaling: all equal).
  std::vector<float> rope_freq_factors;
  bool qkv_bias = false;          // q, k and v projections add a bias (Qwen2)
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
  // of n_kv_heads, odd head_dim, rope_freq_factors neither empty nor
  // head_dim / 2 positive values, more than kMaxParams parameters).
  status validate() const;
};

// Shapes of well-known models, for `dummy:PRESET`. Returns invalid_argument
// listing the known names when `name` is not one of them.
status_or<model_config> model_preset(const std::string& name);

// "stories260k, stories15m, ..., llama3.2-1b, qwen2.5-0.5b, smollm2-135m"
std::string model_preset_names();

// Llama 3.1's RoPE frequency divisors (its rope_scaling "llama3", which
// llama.cpp's converter writes as rope_freqs.weight): 1 for wavelengths under
// original_ctx / high, `factor` above original_ctx / low, and between them
// 1 / ((1 - s) / factor + s) with s = (original_ctx / wavelength - low) / (high - low).
std::vector<float> llama3_rope_factors(float theta, int head_dim, float factor, float low, float high,
                                       int original_ctx);

}  // namespace binserve
