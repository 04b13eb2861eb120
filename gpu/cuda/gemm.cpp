#include "gpu/cuda/gemm.hpp"

#include "gpu/cuda/check.hpp"

namespace binserve::cuda {

status gemm(cublasHandle_t handle, const gemm_params& p, data_type t) {
  if (p.rows == 0) return status::ok_status();
  // Column-major view: y^T (out, rows) = op(W) (out, in) @ x^T (in, rows), where the
  // row-major W (out, in) is a column-major (in, out) matrix, hence CUBLAS_OP_T.
  const float alpha = 1.0f;
  const cudaDataType_t type = cuda_data_type(t);
  return check(cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, p.out, p.rows, p.in, &alpha, p.w, type, p.in, p.x, type,
                            p.in, &p.beta, p.y, CUDA_R_32F, p.out, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
               "cublasGemmEx");
}

}  // namespace binserve::cuda
