// AVX-512 kernels (F, VL, BW, VNNI): gpu/cpu/kernels_simd.hpp's code with
// tiles for the 32 vector registers AVX-512 gives 256-bit code, and VNNI's
// dpbusd for the integer dots; kernels_k_simd.hpp's k-quants with 512-bit
// steps for Q4_K and Q5_K; bit-identical to the scalar kernels. Attention's
// loops are the AVX2 ones.
#include "gpu/cpu/kernels_k_simd.hpp"

namespace binserve::cpu {

matmul_kernel detail::avx512_kernel(tensor_type type) {
  switch (type) {
    // 4 x 6 float accumulators + 4 weight vectors + 1 activation vector = 29 of 32
    case tensor_type::f32:
      return tiled<float_tiles<tensor_type::f32, 4, 6>>;
    case tensor_type::f16:
      return tiled<float_tiles<tensor_type::f16, 4, 6>>;
    case tensor_type::bf16:
      return tiled<float_tiles<tensor_type::bf16, 4, 6>>;
    case tensor_type::q8_0:
      return tiled<q8_tiles<false, 4, 4>>;
    case tensor_type::q4_0:
      return tiled<q8_tiles<true, 4, 4>>;
    case tensor_type::q4_k:
      return k_quant_kernel<tensor_type::q4_k>();
    case tensor_type::q5_k:
      return k_quant_kernel<tensor_type::q5_k>();
    case tensor_type::q6_k:
      return k_quant_kernel<tensor_type::q6_k>();
  }
  return nullptr;
}

}  // namespace binserve::cpu
