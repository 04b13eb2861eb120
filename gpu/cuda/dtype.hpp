// The element type the CUDA backend stores weights, KV cache and GEMM
// inputs in. Norms, softmax, residual stream and GEMM accumulation stay fp32.
// Plain values: any thread.
#pragma once

#include <library_types.h>

#include <string>

#include "binserve/status.hpp"

namespace binserve::cuda {

enum class dtype { f32, f16, bf16 };

// "fp32" | "fp16" | "bf16"; errors: invalid_argument naming the accepted values.
inline status_or<dtype> parse_dtype(const std::string& name) {
  if (name == "fp32") return dtype::f32;
  if (name == "fp16") return dtype::f16;
  if (name == "bf16") return dtype::bf16;
  return status(error_code::invalid_argument,
                "dtype '" + name + "' is not one of fp32, fp16, bf16");
}

inline int element_bytes(dtype t) { return t == dtype::f32 ? 4 : 2; }

inline cudaDataType_t cuda_data_type(dtype t) {
  return t == dtype::f32 ? CUDA_R_32F : t == dtype::f16 ? CUDA_R_16F : CUDA_R_16BF;
}

}  // namespace binserve::cuda
