// Loads and stores of the backend's element types as float, for kernels
// templated on T in {float, __half, __nv_bfloat16}; and the dispatch from a
// run-time dtype to a template instantiation.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "gpu/cuda/dtype.hpp"

namespace binserve::cuda {

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

template <class T>
__device__ __forceinline__ T from_float(float v);
template <>
__device__ __forceinline__ float from_float<float>(float v) {
  return v;
}
template <>
__device__ __forceinline__ __half from_float<__half>(float v) {
  return __float2half_rn(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

// Calls f(T{}) with T the C++ type of `t`.
template <class F>
void dispatch_dtype(data_type t, F&& f) {
  switch (t) {
    case data_type::fp32:
      f(float{});
      break;
    case data_type::fp16:
      f(__half{});
      break;
    case data_type::bf16:
      f(__nv_bfloat16{});
      break;
  }
}

inline unsigned ceil_div(long long a, long long b) { return static_cast<unsigned>((a + b - 1) / b); }

}  // namespace binserve::cuda
