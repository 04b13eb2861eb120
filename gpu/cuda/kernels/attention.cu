// Grouped-query attention over the paged KV cache, split along the sequence
// (flash-decoding), for any mix of prefill and decode tokens.
//
// Token i (position p_i, sequence c_i) and query head h read kv head
// g = h / kv_group over positions t in [0, p_i]. The positions are cut into
// splits of `split_len`; split s over t in [s L, min(p_i + 1, (s + 1) L)):
//   score_t = q_i,h . K[t, g] / sqrt(hd)
//   m_s = max_t score_t,   l_s = sum_t exp(score_t - m_s)
//   o_s = sum_t exp(score_t - m_s) V[t, g]                      (unnormalised)
// then the combine: M = max_s m_s, w_s = exp(m_s - M),
//   out_i,h = sum_s w_s o_s / sum_s w_s l_s
// which equals softmax(scores) V over all positions.
//
// split kernel:   grid (n, n_heads, n_splits), block 128 (4 warps). A block
//                 with s L > p_i exits at once. Warp w scores positions
//                 t = start + w, + 4, ... (lanes stride over hd, then a warp
//                 sum: coalesced K reads); thread d accumulates o_s[d] over t
//                 (coalesced V reads). Shared: q (hd) + scores (split_len) floats.
// combine kernel: grid (n, n_heads), block 128: thread d combines element d.
// K/V element (t, g, d) of sequence c lives at
//   ((layer * n_blocks + block_table[c, t / bs]) * bs + t % bs) * kv_dim + g * hd + d.
#include "gpu/cuda/check.hpp"
#include "gpu/cuda/kernels/element.cuh"
#include "gpu/cuda/kernels/kernels.hpp"
#include "gpu/cuda/kernels/reduce.cuh"

namespace binserve::cuda {

namespace {

constexpr int kThreads = 128;

// Offset of (position t, element 0) of token i's sequence in layer kv.layer.
__device__ __forceinline__ std::int64_t kv_offset(const kv_view& kv, int i, int t) {
  const int block = kv.block_table[static_cast<std::int64_t>(kv.chunk_of[i]) * kv.max_blocks + t / kv.block_size];
  return ((static_cast<std::int64_t>(kv.layer) * kv.n_blocks + block) * kv.block_size + t % kv.block_size) * kv.kv_dim;
}

template <class T>
__global__ void attention_split_kernel(attention_params p, kv_view kv) {
  extern __shared__ float smem[];
  __shared__ float scratch[32];
  const int i = blockIdx.x, h = blockIdx.y, s = blockIdx.z;  // token, head, split
  const int hd = p.head_dim, len = kv.pos[i] + 1, start = s * p.split_len;
  if (start >= len) return;  // uniform over the block: before any barrier
  const int end = min(len, start + p.split_len);
  const int g_off = (h / p.kv_group) * hd;
  float* q = smem;           // (hd)
  float* score = smem + hd;  // (split_len)
  const float* q_in = p.q + (static_cast<std::int64_t>(i) * p.n_heads + h) * hd;
  for (int d = threadIdx.x; d < hd; d += blockDim.x) q[d] = q_in[d];
  __syncthreads();

  const float scale = 1.0f / sqrtf(static_cast<float>(hd));
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, n_warps = blockDim.x / 32;
  const T* k_cache = static_cast<const T*>(kv.k_cache);
  for (int t = start + warp; t < end; t += n_warps) {
    const T* k = k_cache + kv_offset(kv, i, t) + g_off;
    float dot = 0.0f;
    for (int d = lane; d < hd; d += 32) dot += q[d] * to_float(k[d]);
    dot = warp_sum(dot);
    if (lane == 0) score[t - start] = dot * scale;
  }
  __syncthreads();

  float m = -INFINITY;
  for (int t = start + threadIdx.x; t < end; t += blockDim.x) m = fmaxf(m, score[t - start]);
  m = block_max(m, scratch);
  float l = 0.0f;
  for (int t = start + threadIdx.x; t < end; t += blockDim.x) {
    const float e = expf(score[t - start] - m);
    score[t - start] = e;
    l += e;
  }
  l = block_sum(l, scratch);  // its barriers also publish the exp'd scores

  float* part = p.partial + ((static_cast<std::int64_t>(i) * p.n_heads + h) * p.n_splits + s) * (hd + 2);
  const T* v_cache = static_cast<const T*>(kv.v_cache);
  for (int d = threadIdx.x; d < hd; d += blockDim.x) {
    float acc = 0.0f;
    for (int t = start; t < end; ++t) acc += score[t - start] * to_float(v_cache[kv_offset(kv, i, t) + g_off + d]);
    part[d] = acc;
  }
  if (threadIdx.x == 0) {
    part[hd] = m;
    part[hd + 1] = l;
  }
}

template <class T>
__global__ void attention_combine_kernel(attention_params p, kv_view kv) {
  const int i = blockIdx.x, h = blockIdx.y;  // token, head
  const int hd = p.head_dim, len = kv.pos[i] + 1;
  const int splits = (len + p.split_len - 1) / p.split_len;  // [1, n_splits]
  const float* part = p.partial + (static_cast<std::int64_t>(i) * p.n_heads + h) * p.n_splits * (hd + 2);
  float m_max = -INFINITY;
  for (int s = 0; s < splits; ++s) m_max = fmaxf(m_max, part[s * (hd + 2) + hd]);
  float l_sum = 0.0f;
  for (int s = 0; s < splits; ++s) l_sum += expf(part[s * (hd + 2) + hd] - m_max) * part[s * (hd + 2) + hd + 1];
  T* out = static_cast<T*>(p.out) + (static_cast<std::int64_t>(i) * p.n_heads + h) * hd;
  for (int d = threadIdx.x; d < hd; d += blockDim.x) {
    float acc = 0.0f;
    for (int s = 0; s < splits; ++s) acc += expf(part[s * (hd + 2) + hd] - m_max) * part[s * (hd + 2) + d];
    out[d] = from_float<T>(acc / l_sum);
  }
}

}  // namespace

std::int64_t attention_workspace_bytes(const attention_params& p) {
  return static_cast<std::int64_t>(p.n) * p.n_heads * p.n_splits * (p.head_dim + 2) * 4;
}

status attention(const attention_params& p, const kv_view& kv, data_type t, cudaStream_t stream) {
  if (p.n == 0) return status::ok_status();
  const size_t smem = static_cast<size_t>(p.head_dim + p.split_len) * sizeof(float);
  if (smem > 48 * 1024)
    return status(error_code::internal,
                  "attention: split of " + std::to_string(p.split_len) + " positions exceeds 48 KiB of shared memory");
  const dim3 split_grid(p.n, p.n_heads, p.n_splits), combine_grid(p.n, p.n_heads);
  dispatch_dtype(
      t, [&](auto tag) { attention_split_kernel<decltype(tag)><<<split_grid, kThreads, smem, stream>>>(p, kv); });
  BINSERVE_TRY(check_launch("attention_split_kernel"));
  dispatch_dtype(
      t, [&](auto tag) { attention_combine_kernel<decltype(tag)><<<combine_grid, kThreads, 0, stream>>>(p, kv); });
  return check_launch("attention_combine_kernel");
}

}  // namespace binserve::cuda
