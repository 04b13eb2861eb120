// The element type the CUDA backend stores weights, KV cache and GEMM
// inputs in. Norms, softmax, residual stream and GEMM accumulation stay fp32.
// Plain values: any thread.
#pragma once

#include <library_types.h>

#include "binserve/config.hpp"

namespace binserve::cuda {

inline int element_bytes(data_type t) { return t == data_type::fp32 ? 4 : 2; }

inline cudaDataType_t cuda_data_type(data_type t) {
  return t == data_type::fp32 ? CUDA_R_32F : t == data_type::fp16 ? CUDA_R_16F : CUDA_R_16BF;
}

}  // namespace binserve::cuda
