// RoPE on queries and keys, and the KV-cache append (fused: the rotated key
// goes straight to the cache, never back to a separate buffer).
//
// For token i at position p = pos[i] and pair j (elements 2j, 2j+1), with
// head pair index h = (2j % head_dim) / 2 and the CPU backend's tables
// c = cos[p, h], s = sin[p, h]:
//   q'[2j] = q[2j] c - q[2j+1] s,   q'[2j+1] = q[2j] s + q[2j+1] c   (j < dim / 2)
//   k' likewise (j < kv_dim / 2); cache[layer, block, p % bs, 2j..2j+1] = k', v
// with block = block_table[chunk_of[i], p / bs].
// grid (n), block 128: block i handles token i, threads stride over pairs j.
#include "gpu/cuda/check.hpp"
#include "gpu/cuda/kernels/element.cuh"
#include "gpu/cuda/kernels/kernels.hpp"

namespace binserve::cuda {

namespace {

constexpr int kThreads = 128;

template <class T>
__global__ void rope_kv_kernel(rope_params p, kv_view kv) {
  const int i = blockIdx.x;  // [0, n)
  const int pos = kv.pos[i], half = p.head_dim / 2;
  const float* cs = p.rope_cos + static_cast<std::int64_t>(pos) * half;
  const float* sn = p.rope_sin + static_cast<std::int64_t>(pos) * half;
  const int block = kv.block_table[static_cast<std::int64_t>(kv.chunk_of[i]) * kv.max_blocks + pos / kv.block_size];
  const std::int64_t slot =
      ((static_cast<std::int64_t>(kv.layer) * kv.n_blocks + block) * kv.block_size + pos % kv.block_size) * kv.kv_dim;
  float* q = p.q + static_cast<std::int64_t>(i) * p.dim;
  const float* k = p.k + static_cast<std::int64_t>(i) * kv.kv_dim;
  const float* v = p.v + static_cast<std::int64_t>(i) * kv.kv_dim;
  T* k_out = static_cast<T*>(kv.k_cache) + slot;
  T* v_out = static_cast<T*>(kv.v_cache) + slot;
  for (int j = threadIdx.x; j < p.dim / 2; j += blockDim.x) {  // pair j: elements 2j, 2j+1
    const int h = (2 * j % p.head_dim) / 2;                    // [0, head_dim / 2)
    const float c = cs[h], s = sn[h];
    const float q0 = q[2 * j], q1 = q[2 * j + 1];
    // __fmul_rn / __fadd_rn are never contracted into FMAs: the same roundings as the CPU.
    q[2 * j] = __fsub_rn(__fmul_rn(q0, c), __fmul_rn(q1, s));
    q[2 * j + 1] = __fadd_rn(__fmul_rn(q0, s), __fmul_rn(q1, c));
    if (2 * j < kv.kv_dim) {
      const float k0 = k[2 * j], k1 = k[2 * j + 1];
      k_out[2 * j] = from_float<T>(__fsub_rn(__fmul_rn(k0, c), __fmul_rn(k1, s)));
      k_out[2 * j + 1] = from_float<T>(__fadd_rn(__fmul_rn(k0, s), __fmul_rn(k1, c)));
      v_out[2 * j] = from_float<T>(v[2 * j]);
      v_out[2 * j + 1] = from_float<T>(v[2 * j + 1]);
    }
  }
}

}  // namespace

status rope_kv_append(const rope_params& p, const kv_view& kv, data_type t, cudaStream_t stream) {
  if (p.n == 0) return status::ok_status();
  dispatch_dtype(t, [&](auto tag) { rope_kv_kernel<decltype(tag)><<<p.n, kThreads, 0, stream>>>(p, kv); });
  return check_launch("rope_kv_kernel");
}

}  // namespace binserve::cuda
