// SwiGLU: out[j] = gate[j] * (1 / (1 + exp(-gate[j]))) * up[j], fp32 math,
// stored in T as the input of the down projection (the residual adds are
// fused into the GEMMs' epilogue: beta = 1 on the residual stream).
// grid (ceil(count / 256)), block 256: thread j handles element j.
#include "gpu/cuda/check.hpp"
#include "gpu/cuda/kernels/element.cuh"
#include "gpu/cuda/kernels/kernels.hpp"

namespace binserve::cuda {

namespace {

constexpr int kThreads = 256;

template <class T>
__global__ void swiglu_kernel(T* out, const float* gate, const float* up, std::int64_t count) {
  const std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= count) return;
  const float g = gate[j];
  out[j] = from_float<T>(__fmul_rn(__fmul_rn(g, 1.0f / (1.0f + expf(-g))), up[j]));
}

}  // namespace

status swiglu(void* out, const float* gate, const float* up, std::int64_t count, data_type t, cudaStream_t stream) {
  if (count == 0) return status::ok_status();
  dispatch_dtype(t, [&](auto tag) {
    using T = decltype(tag);
    swiglu_kernel<T><<<ceil_div(count, kThreads), kThreads, 0, stream>>>(static_cast<T*>(out), gate, up, count);
  });
  return check_launch("swiglu_kernel");
}

}  // namespace binserve::cuda
