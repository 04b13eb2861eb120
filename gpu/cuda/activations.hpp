// The CUDA backend's per-forward device buffers, grown (never shrunk) to the
// largest batch seen, so a steady decode loop allocates nothing.
//
// Owned by one CUDA backend; used by the thread driving it.
#pragma once

#include <cstdint>

#include "binserve/status.hpp"
#include "gpu/cuda/device_buffer.hpp"
#include "gpu/cuda/dtype.hpp"
#include "gpu/model_config.hpp"

namespace binserve::cuda {

struct activations {
  // For the n tokens of a forward:
  device_buffer x;        // (n, dim) fp32: the residual stream
  device_buffer xb;       // (n, dim) T: normed GEMM input
  device_buffer q;        // (n, dim) fp32
  device_buffer k, v;     // (n, kv_dim) fp32
  device_buffer att;      // (n, dim) T: attention output
  device_buffer hb, hb2;  // (n, hidden_dim) fp32: gate, up
  device_buffer hb_t;     // (n, hidden_dim) T: silu(gate) * up
  // For the n_out chunks of a forward:
  device_buffer logits;  // (n_out, vocab_size) fp32
  device_buffer hidden;  // (n_out, dim) fp32: final-normed hidden states
  device_buffer ids;     // (n_out) int: sampled tokens
  device_buffer probs;   // (n_out, vocab_size) fp32: temperature sampling's workspace
  // Sized separately:
  device_buffer partial;      // attention split workspace
  device_buffer meta;         // the forward's int metadata (tokens, positions, block table)
  device_buffer sample_args;  // sample()'s jobs: rows, temperatures, uniform draws
  device_buffer states;       // (n_out, state layers, dim) fp32: backend_options::state_layers

  // Makes every buffer hold n tokens and n_out chunks (capacities double).
  // Errors: out_of_memory naming the buffer and sizes; on error buffers may be empty
  // and the capacities are reset.
  status reserve(const model_config& c, data_type t, int n, int n_out);

  // Makes `buffer` hold at least `bytes` (doubling). Errors: out_of_memory.
  static status reserve_bytes(device_buffer& buffer, std::int64_t bytes, const char* what);

 private:
  int n_cap_ = 0, out_cap_ = 0;
};

}  // namespace binserve::cuda
