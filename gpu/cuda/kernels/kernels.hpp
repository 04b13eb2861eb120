// Launch wrappers of the CUDA backend's kernels, grouped by concept (one .cu
// each). Every wrapper enqueues on `stream` and returns the launch's status
// (backend_failure naming the kernel); nothing synchronises. Tensors marked
// T are in the backend's dtype (fp32 / fp16 / bf16) and passed as void*;
// every other float tensor is fp32. All pointers are device pointers.
// The arithmetic mirrors gpu/cpu/cpu_backend.cpp line for line.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "binserve/status.hpp"
#include "gpu/cuda/dtype.hpp"

namespace binserve::cuda {

// ---- embedding_rmsnorm.cu --------------------------------------------------
// x (n, dim) = table (vocab, dim; T) [tokens (n)]
status embed(float* x, const void* table, const int* tokens, int n, int dim, data_type t, cudaStream_t stream);

// out[r * out_stride, +dim) = x[rows_of[r] * dim, +dim) for r in [0, rows): fp32 rows picked
// into a strided table (the layer states of each chunk's last token)
status gather_rows(float* out, int out_stride, const float* x, const int* rows_of, int rows, int dim,
                   cudaStream_t stream);

struct rmsnorm_params {
  void* out = nullptr;            // (rows, dim) T: the GEMM input
  float* out_f32 = nullptr;       // (rows, dim) or null: an fp32 copy (hidden states)
  const float* x = nullptr;       // (*, dim)
  const int* rows_of = nullptr;   // (rows) or null: row r reads x[rows_of[r]], else x[r]
  const float* weight = nullptr;  // (dim)
  int rows = 0, dim = 0;
  float eps = 1e-5f;
};
// out[r] = weight * (x[r] / sqrt(mean(x[r]^2) + eps))
status rmsnorm(const rmsnorm_params& p, data_type t, cudaStream_t stream);

// ---- rope_kv.cu --------------------------------------------------------------
// Where a token's K/V live: the paged cache [n_layers, n_blocks, block_size,
// kv_dim] (T) and each token's chunk row of the block table.
struct kv_view {
  void* k_cache = nullptr;
  void* v_cache = nullptr;
  const int* block_table = nullptr;  // (chunks, max_blocks)
  const int* chunk_of = nullptr;     // (n): the chunk (sequence) of token i
  const int* pos = nullptr;          // (n): position of token i in its sequence
  int max_blocks = 0, block_size = 0, n_blocks = 0, layer = 0, kv_dim = 0;
};

struct rope_params {
  float* q = nullptr;               // (n, dim), rotated in place
  const float* k = nullptr;         // (n, kv_dim)
  const float* v = nullptr;         // (n, kv_dim)
  const float* rope_cos = nullptr;  // (n_ctx, head_dim / 2), the CPU backend's table
  const float* rope_sin = nullptr;
  int n = 0, dim = 0, head_dim = 0;
};
// q, k rotated by pos * theta_i on pairs (2i, 2i+1); rotated k and v written to the cache.
status rope_kv_append(const rope_params& p, const kv_view& kv, data_type t, cudaStream_t stream);

// ---- attention.cu ------------------------------------------------------------
struct attention_params {
  const float* q = nullptr;  // (n, dim) rotated queries
  void* out = nullptr;       // (n, dim) T
  float* partial = nullptr;  // (n, n_heads, n_splits, head_dim + 2) workspace
  int n = 0, n_heads = 0, kv_group = 1, head_dim = 0;
  int n_splits = 1, split_len = 0;  // positions [s * split_len, (s+1) * split_len) per split
};
// Bytes of `partial` and of dynamic shared memory for a launch of `p`.
std::int64_t attention_workspace_bytes(const attention_params& p);
// out (i, h) = softmax(q_i,h . K^T / sqrt(hd)) V over positions 0..pos_i of token i's sequence.
status attention(const attention_params& p, const kv_view& kv, data_type t, cudaStream_t stream);

// ---- swiglu.cu ---------------------------------------------------------------
// out (count) = silu(gate) * up, stored as T
status swiglu(void* out, const float* gate, const float* up, std::int64_t count, data_type t, cudaStream_t stream);

// ---- convert.cu --------------------------------------------------------------
// dst (count; T) = src (count; fp32)
status convert_from_f32(void* dst, const float* src, std::int64_t count, data_type t, cudaStream_t stream);
// dst (count; T) = dummy_weight_value(seed, tensor, i, scale), i in [0, count)
struct dummy_params {
  std::uint64_t seed = 0, tensor = 0;
  float scale = 1.0f;
};
status fill_dummy(void* dst, std::int64_t count, const dummy_params& p, data_type t, cudaStream_t stream);
// dst (count; fp32) = value
status fill_f32(float* dst, std::int64_t count, float value, cudaStream_t stream);

// ---- sampling.cu -------------------------------------------------------------
// out (rows) = argmax of each logits row (rows, vocab); the lowest index wins ties.
status argmax_rows(int* out, const float* logits, int rows, int vocab, cudaStream_t stream);

// Temperature sampling of selected rows, as gpu/sampler.cpp's sample_multinomial:
// for job j, row r = rows[j]:
//   p (vocab) = float(e / sum(e)), e = float(exp(double((logits[r] - max) / temperature[j])))
//   out[r] = first v with uniform[j] < float cumulative sum of p[0..v], else vocab - 1
// `uniform[j]` is the host's sample_uniform(seed, step), so both draw alike.
struct temperature_sample_params {
  int* out = nullptr;                  // (rows of the forward): written at each selected row
  float* probs = nullptr;              // (rows of the forward, vocab) workspace
  const float* logits = nullptr;       // (rows of the forward, vocab)
  const int* rows = nullptr;           // (jobs)
  const float* temperature = nullptr;  // (jobs), > 0
  const float* uniform = nullptr;      // (jobs), in [0, 1)
  int jobs = 0, vocab = 0;
};
status temperature_sample(const temperature_sample_params& p, cudaStream_t stream);

}  // namespace binserve::cuda
