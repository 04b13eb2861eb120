// A model's weights in device memory, in the backend's dtype: matrices in T,
// norm weights in fp32. Uploaded once per backend (real models: fp32 host
// tensors converted on the device through a staging buffer) or generated on
// the device for dummy models (bit-identical to fill_dummy_weights in fp32;
// no host copy of the 13 GB of a 7B model).
//
// Owned by one CUDA backend; built and read by the thread driving it, with
// its device current.
#pragma once

#include <cuda_runtime.h>

#include <memory>
#include <vector>

#include "binserve/status.hpp"
#include "gpu/cuda/device_buffer.hpp"
#include "gpu/cuda/dtype.hpp"
#include "gpu/model.hpp"

namespace binserve::cuda {

// Matrices are row-major [out_features, in_features] in T, as on the host.
struct device_layer {
  float* rms_att;  // [dim]
  void* wq;        // [dim, dim]
  void* wk;        // [kv_dim, dim]
  void* wv;        // [kv_dim, dim]
  void* wo;        // [dim, dim]
  float* rms_ffn;  // [dim]
  void* w1;        // [hidden_dim, dim]
  void* w2;        // [dim, hidden_dim]
  void* w3;        // [hidden_dim, dim]
};

class device_weights {
 public:
  // Uploads or generates the weights of `m` on `stream` and waits for them.
  // Errors: out_of_memory (with the sizes), backend_failure.
  static status_or<std::unique_ptr<device_weights>> create(const model& m, data_type t, cudaStream_t stream);

  void* token_embedding;             // [vocab_size, dim] T
  std::vector<device_layer> layers;  // [n_layers]
  float* rms_final;                  // [dim]
  void* wcls;                        // [vocab_size, dim] T; == token_embedding when shared

  // Bytes of the matrices (what a decode step reads) and of the norms.
  std::int64_t matrix_bytes() const { return matrices_.bytes(); }
  std::int64_t norm_bytes() const { return norms_.bytes(); }

 private:
  device_weights() = default;
  status layout(const model_config& c, data_type t);

  device_buffer matrices_;  // every matrix, llama2.c checkpoint order
  device_buffer norms_;     // rms_att[L], rms_ffn[L], rms_final
};

}  // namespace binserve::cuda
