// Sampling on the device, as gpu/sampler.cpp does it on the host.
//
// argmax:      out[r] = argmax_v logits[r, v], the lowest index winning ties
//              (as std::max_element), NaNs never chosen.
//              grid (rows), block 256: thread scans v = tid, tid + 256, ...
//              keeping its best (value, index); a shared-memory tree reduces them.
// temperature: p_v = float(e_v / sum e), e_v = exp((l_v - max) / T) rounded to
//              float (exp in double, then one rounding: the correctly rounded
//              expf of the host in all but vanishing cases; sum in double as the
//              host), then the host's sequential float CDF scan for u.
//              grid (jobs), block 256: reductions over v = tid, tid + 256, ...;
//              thread 0 then scans the row in order (the same float additions
//              in the same order as the host, so the same token).
#include "gpu/cuda/check.hpp"
#include "gpu/cuda/kernels/element.cuh"
#include "gpu/cuda/kernels/kernels.hpp"
#include "gpu/cuda/kernels/reduce.cuh"

namespace binserve::cuda {

namespace {

constexpr int kThreads = 256;  // a power of two: the tree halves it

// Whether (a, ia) beats (b, ib): larger value, or equal value and lower index.
__device__ __forceinline__ bool better(float a, int ia, float b, int ib) { return a > b || (a == b && ia < ib); }

__global__ void argmax_kernel(int* out, const float* logits, int vocab) {
  __shared__ float best_v[kThreads];
  __shared__ int best_i[kThreads];
  const int r = blockIdx.x;  // [0, rows)
  const float* row = logits + static_cast<std::int64_t>(r) * vocab;
  float v = -INFINITY;
  int idx = vocab;  // beaten by any real index at -inf
  for (int j = threadIdx.x; j < vocab; j += blockDim.x)
    if (better(row[j], j, v, idx)) v = row[j], idx = j;
  best_v[threadIdx.x] = v;
  best_i[threadIdx.x] = idx;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (threadIdx.x < half &&
        better(best_v[threadIdx.x + half], best_i[threadIdx.x + half], best_v[threadIdx.x], best_i[threadIdx.x])) {
      best_v[threadIdx.x] = best_v[threadIdx.x + half];
      best_i[threadIdx.x] = best_i[threadIdx.x + half];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) out[r] = best_i[0] < vocab ? best_i[0] : 0;
}

__global__ void temperature_kernel(temperature_sample_params p) {
  __shared__ float scratch[32];
  __shared__ double scratch_d[32];
  const int j = blockIdx.x, r = p.rows[j];  // job, row
  const float* logits = p.logits + static_cast<std::int64_t>(r) * p.vocab;
  float* probs = p.probs + static_cast<std::int64_t>(r) * p.vocab;
  float max = -INFINITY;
  for (int v = threadIdx.x; v < p.vocab; v += blockDim.x) max = fmaxf(max, logits[v]);
  max = block_max(max, scratch);
  double sum = 0.0;
  for (int v = threadIdx.x; v < p.vocab; v += blockDim.x) {
    const float e = static_cast<float>(exp(static_cast<double>((logits[v] - max) / p.temperature[j])));
    probs[v] = e;
    sum += e;
  }
  sum = block_sum_double(sum, scratch_d);
  for (int v = threadIdx.x; v < p.vocab; v += blockDim.x) probs[v] = static_cast<float>(probs[v] / sum);
  __syncthreads();  // thread 0 reads every thread's probabilities
  if (threadIdx.x != 0) return;
  const float u = p.uniform[j];
  float cdf = 0.0f;
  int token = p.vocab - 1;  // rounding: the host's fallback
#pragma unroll 8
  for (int v = 0; v < p.vocab; ++v) {
    cdf = __fadd_rn(cdf, probs[v]);
    if (u < cdf) {
      token = v;
      break;
    }
  }
  p.out[r] = token;
}

}  // namespace

status temperature_sample(const temperature_sample_params& p, cudaStream_t stream) {
  if (p.jobs == 0) return status::ok_status();
  temperature_kernel<<<p.jobs, kThreads, 0, stream>>>(p);
  return check_launch("temperature_kernel");
}

status argmax_rows(int* out, const float* logits, int rows, int vocab, cudaStream_t stream) {
  if (rows == 0) return status::ok_status();
  argmax_kernel<<<rows, kThreads, 0, stream>>>(out, logits, vocab);
  return check_launch("argmax_kernel");
}

}  // namespace binserve::cuda
