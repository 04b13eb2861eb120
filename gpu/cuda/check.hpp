// CUDA and cuBLAS return codes as binserve statuses.
//
// Every CUDA runtime and cuBLAS call of the CUDA backend goes through one of
// these; a failure becomes backend_failure naming the call and the CUDA
// error text (out_of_memory for allocation failures), never an abort.
// Header-only, stateless: any thread.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "binserve/status.hpp"

namespace binserve::cuda {

// ok, or backend_failure "`what`: <cudaGetErrorName>: <cudaGetErrorString>";
// cudaErrorMemoryAllocation gives out_of_memory.
inline status check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return status::ok_status();
  const error_code code = e == cudaErrorMemoryAllocation ? error_code::out_of_memory : error_code::backend_failure;
  return status(code, std::string(what) + ": " + cudaGetErrorName(e) + ": " + cudaGetErrorString(e));
}

// ok, or backend_failure "`what`: cuBLAS <name>: <text>"; CUBLAS_STATUS_ALLOC_FAILED gives
// out_of_memory.
inline status check(cublasStatus_t e, const char* what) {
  if (e == CUBLAS_STATUS_SUCCESS) return status::ok_status();
  const error_code code = e == CUBLAS_STATUS_ALLOC_FAILED ? error_code::out_of_memory : error_code::backend_failure;
  return status(code, std::string(what) + ": cuBLAS " + cublasGetStatusName(e) + ": " + cublasGetStatusString(e));
}

// The error of the last kernel launch on this thread (a bad configuration),
// as a status naming `kernel`.
inline status check_launch(const char* kernel) { return check(cudaGetLastError(), kernel); }

}  // namespace binserve::cuda

// Returns the status of `expr` from the enclosing function when it is not ok.
#define BINSERVE_CUDA_TRY(expr)                                                              \
  do {                                                                                       \
    if (::binserve::status s_ = ::binserve::cuda::check((expr), #expr); !s_.ok()) return s_; \
  } while (0)

// Returns `st` (a status) from the enclosing function when it is not ok.
#define BINSERVE_TRY(st)                                   \
  do {                                                     \
    if (::binserve::status s_ = (st); !s_.ok()) return s_; \
  } while (0)
