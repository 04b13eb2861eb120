// Embedding gather, row gather and RMSNorm.
//
// embed:   x[i, d] = table[tokens[i], d]                    (T -> fp32)
//          grid (n), block 256: block i copies row tokens[i], threads stride over d.
// gather:  out[r * out_stride + d] = x[rows_of[r] * dim + d] (fp32), grid (rows), block 256.
// rmsnorm: out[r, d] = weight[d] * (x[src, d] * rsqrt(sum_d x[src, d]^2 / dim + eps)),
//          src = rows_of ? rows_of[r] : r; the scale is computed in fp32 as
//          1 / sqrtf(ss / dim + eps), like llama2.c (not the approximate rsqrtf).
//          grid (rows), block 256: block r reduces its row, then each thread
//          writes d = tid, tid + 256, ...
#include "gpu/cuda/check.hpp"
#include "gpu/cuda/kernels/element.cuh"
#include "gpu/cuda/kernels/kernels.hpp"
#include "gpu/cuda/kernels/reduce.cuh"

namespace binserve::cuda {

namespace {

constexpr int kThreads = 256;

template <class T>
__global__ void embed_kernel(float* x, const T* table, const int* tokens, int dim) {
  const int i = blockIdx.x;  // [0, n)
  const T* row = table + static_cast<std::int64_t>(tokens[i]) * dim;
  float* out = x + static_cast<std::int64_t>(i) * dim;
  for (int d = threadIdx.x; d < dim; d += blockDim.x) out[d] = to_float(row[d]);
}

__global__ void gather_kernel(float* out, int out_stride, const float* x, const int* rows_of, int dim) {
  const int r = blockIdx.x;  // [0, rows)
  const float* row = x + static_cast<std::int64_t>(rows_of[r]) * dim;
  float* o = out + static_cast<std::int64_t>(r) * out_stride;
  for (int d = threadIdx.x; d < dim; d += blockDim.x) o[d] = row[d];
}

template <class T>
__global__ void rmsnorm_kernel(rmsnorm_params p) {
  __shared__ float scratch[32];
  const int r = blockIdx.x;  // [0, rows)
  const int src = p.rows_of != nullptr ? p.rows_of[r] : r;
  const float* x = p.x + static_cast<std::int64_t>(src) * p.dim;
  float ss = 0.0f;
  for (int d = threadIdx.x; d < p.dim; d += blockDim.x) ss += x[d] * x[d];
  ss = block_sum(ss, scratch);
  const float scale = 1.0f / sqrtf(ss / p.dim + p.eps);
  T* out = static_cast<T*>(p.out) + static_cast<std::int64_t>(r) * p.dim;
  float* out_f32 = p.out_f32 != nullptr ? p.out_f32 + static_cast<std::int64_t>(r) * p.dim : nullptr;
  for (int d = threadIdx.x; d < p.dim; d += blockDim.x) {
    const float y = p.weight[d] * (scale * x[d]);
    out[d] = from_float<T>(y);
    if (out_f32 != nullptr) out_f32[d] = y;
  }
}

}  // namespace

status embed(float* x, const void* table, const int* tokens, int n, int dim, data_type t, cudaStream_t stream) {
  if (n == 0) return status::ok_status();
  dispatch_dtype(t, [&](auto tag) {
    using T = decltype(tag);
    embed_kernel<T><<<n, kThreads, 0, stream>>>(x, static_cast<const T*>(table), tokens, dim);
  });
  return check_launch("embed_kernel");
}

status gather_rows(float* out, int out_stride, const float* x, const int* rows_of, int rows, int dim,
                   cudaStream_t stream) {
  if (rows == 0) return status::ok_status();
  gather_kernel<<<rows, kThreads, 0, stream>>>(out, out_stride, x, rows_of, dim);
  return check_launch("gather_kernel");
}

status rmsnorm(const rmsnorm_params& p, data_type t, cudaStream_t stream) {
  if (p.rows == 0) return status::ok_status();
  dispatch_dtype(t, [&](auto tag) { rmsnorm_kernel<decltype(tag)><<<p.rows, kThreads, 0, stream>>>(p); });
  return check_launch("rmsnorm_kernel");
}

}  // namespace binserve::cuda
