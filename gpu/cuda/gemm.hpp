// The projections of the CUDA backend through cuBLAS.
//
// y (rows, out; fp32) = x (rows, in; T) @ W (out, in; T)^T + beta * y, with
// fp32 accumulation (CUBLAS_COMPUTE_32F: no TF32, so fp32 weights compute in
// true fp32). beta = 1 fuses a residual add into the GEMM's epilogue.
// Runs on the handle's stream; the handle belongs to one backend's thread.
#pragma once

#include <cublas_v2.h>

#include "binserve/status.hpp"
#include "gpu/cuda/dtype.hpp"

namespace binserve::cuda {

struct gemm_params {
  float* y = nullptr;       // (rows, out) fp32, row-major
  const void* x = nullptr;  // (rows, in) T, row-major
  const void* w = nullptr;  // (out, in) T, row-major
  int rows = 0, in = 0, out = 0;
  float beta = 0.0f;  // 0: overwrite y; 1: y += x @ W^T
};

// Errors: backend_failure naming cublasGemmEx and the cuBLAS status.
status gemm(cublasHandle_t handle, const gemm_params& p, data_type t);

}  // namespace binserve::cuda
