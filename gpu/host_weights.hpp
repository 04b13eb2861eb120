// Llama weights in host memory: what the loaders produce and the CPU backend
// reads (the CUDA backend widens and uploads them).
//
// Norms are fp32 in `storage`. Matrices are `weight_matrix` views of any type
// binserve reads (gpu/tensor_types.hpp): fp32 in `storage` (llama2.c, dummy
// models), or the blocks of a memory-mapped GGUF file, used where they lie
// (no copy; `file` keeps the mapping alive).
//
// Owned by one `model` (shared_ptr<const>); immutable once loaded, so any
// number of backends on any threads may read it. Not copyable: the tensor
// pointers point into `storage` or the mapping.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "gpu/model_config.hpp"
#include "gpu/tensor_types.hpp"

namespace binserve {

// A row-major matrix [rows, cols] (y = W @ x has rows outputs) stored as
// `type`: rows of cols / block_elements blocks, row_bytes() apart.
struct weight_matrix {
  gguf::tensor_type type = gguf::tensor_type::f32;
  const unsigned char* data = nullptr;
  std::int64_t rows = 0, cols = 0;

  std::size_t row_bytes() const;
  std::size_t bytes() const { return std::size_t(rows) * row_bytes(); }
  // The values when the type is F32, else nullptr.
  const float* f32() const;
  // Row r widened to fp32 (cols values) into `out`.
  void dequantize_row(std::int64_t r, float* out) const;
};

// All matrices are [out_features, in_features].
struct layer_weights {
  float* rms_att;       // [dim]
  weight_matrix wq;     // [dim, dim]
  weight_matrix wk;     // [kv_dim, dim]
  weight_matrix wv;     // [kv_dim, dim]
  weight_matrix wo;     // [dim, dim]
  float* rms_ffn;       // [dim]
  weight_matrix w1;     // [hidden_dim, dim]  gate
  weight_matrix w2;     // [dim, hidden_dim]  down
  weight_matrix w3;     // [hidden_dim, dim]  up
  float* bq = nullptr;  // [dim], with qkv_bias (Qwen2); else null
  float* bk = nullptr;  // [kv_dim]
  float* bv = nullptr;  // [kv_dim]
};

class host_weights {
 public:
  // Allocates zeroed fp32 storage for every tensor of `config` (which must
  // validate()), in llama2.c checkpoint order: token_embedding, then each
  // per-layer tensor kind stacked over layers (rms_att[L], wq[L], ...),
  // rms_final, the biases when qkv_bias (bq[L], bk[L], bv[L]: no llama2.c
  // checkpoint has them), and wcls when the classifier is separate.
  explicit host_weights(const model_config& config);
  // Zeroed fp32 storage for the norms and biases only (same order); the matrices are
  // left empty for a loader to point into `file`, which they keep alive.
  host_weights(const model_config& config, std::shared_ptr<const void> file);
  host_weights(const host_weights&) = delete;
  host_weights& operator=(const host_weights&) = delete;

  // The writable values of a matrix held as fp32 in `storage`.
  float* values(const weight_matrix& m);

  weight_matrix token_embedding;      // [vocab_size, dim]
  std::vector<layer_weights> layers;  // [n_layers]
  float* rms_final;                   // [dim]
  weight_matrix wcls;                 // [vocab_size, dim]; == token_embedding when shared

  std::vector<float> storage;        // the fp32 tensors, contiguous
  std::shared_ptr<const void> file;  // the mapping matrices point into, if any
};

// Fills `w` with seeded random weights of the right scale for `config`:
// matrices uniform in [-1/sqrt(in), 1/sqrt(in)], norms 1. Element i of
// tensor t depends only on (seed, t, i), so any backend can regenerate the
// same weights in place (e.g. on a GPU) without a host copy.
void fill_dummy_weights(const model_config& config, std::uint64_t seed, host_weights& w);

// The weights fill_dummy_weights writes, with every matrix stored as a GGUF
// quantized to `type` would store it (gguf::type_for; the rest fp32),
// made a row at a time: the fp32 matrices are never all in memory at once.
std::shared_ptr<const host_weights> typed_dummy_weights(const model_config& config, std::uint64_t seed,
                                                        gguf::tensor_type type);

// The value fill_dummy_weights writes at element `i` of tensor number
// `tensor` with bound `scale`. Tensors are numbered token_embedding 0, then
// per layer wq, wk, wv, wo, w1, w2, w3, then wcls when separate. The
// arithmetic is gpu/dummy_weight.hpp's, which a device generator shares.
float dummy_weight(std::uint64_t seed, std::uint64_t tensor, std::uint64_t i, float scale);

}  // namespace binserve
