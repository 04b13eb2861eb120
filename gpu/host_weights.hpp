// Llama weights in fp32 host memory: what the loaders produce and the CPU
// backend reads (the CUDA backend converts and uploads them).
//
// Owned by one `model` (shared_ptr<const>); immutable once loaded, so any
// number of backends on any threads may read it. Not copyable: the tensor
// pointers point into `storage`.
#pragma once

#include <cstdint>
#include <vector>

#include "gpu/model_config.hpp"

namespace binserve {

// All matrices are row-major [out_features, in_features]: y = W @ x.
struct layer_weights {
  float* rms_att;  // [dim]
  float* wq;       // [dim, dim]
  float* wk;       // [kv_dim, dim]
  float* wv;       // [kv_dim, dim]
  float* wo;       // [dim, dim]
  float* rms_ffn;  // [dim]
  float* w1;       // [hidden_dim, dim]  gate
  float* w2;       // [dim, hidden_dim]  down
  float* w3;       // [hidden_dim, dim]  up
};

class host_weights {
 public:
  // Allocates zeroed storage for `config` (which must validate()). Tensors
  // are laid out in llama2.c checkpoint order: token_embedding, then each
  // per-layer tensor kind stacked over layers (rms_att[L], wq[L], ...),
  // rms_final, and wcls when the classifier is separate.
  explicit host_weights(const model_config& config);
  host_weights(const host_weights&) = delete;
  host_weights& operator=(const host_weights&) = delete;

  float* token_embedding;  // [vocab_size, dim]
  std::vector<layer_weights> layers;  // [n_layers]
  float* rms_final;  // [dim]
  float* wcls;       // [vocab_size, dim]; == token_embedding when shared

  std::vector<float> storage;  // every tensor above, contiguous
};

// Fills `w` with seeded random weights of the right scale for `config`:
// matrices uniform in [-1/sqrt(in), 1/sqrt(in)], norms 1. Element i of
// tensor t depends only on (seed, t, i), so any backend can regenerate the
// same weights in place (e.g. on a GPU) without a host copy.
void fill_dummy_weights(const model_config& config, std::uint64_t seed,
                        host_weights& w);

// The value fill_dummy_weights writes at element `i` of tensor number
// `tensor` with bound `scale`. Tensors are numbered token_embedding 0, then
// per layer wq, wk, wv, wo, w1, w2, w3, then wcls when separate. The
// arithmetic is gpu/dummy_weight.hpp's, which a device generator shares.
float dummy_weight(std::uint64_t seed, std::uint64_t tensor, std::uint64_t i,
                   float scale);

}  // namespace binserve
