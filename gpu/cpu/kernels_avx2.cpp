// AVX2 kernels (with FMA and F16C): gpu/cpu/kernels_simd.hpp's code with
// tiles for 16 vector registers, bit-identical to the scalar kernels.
#include "gpu/cpu/kernels_simd.hpp"

namespace binserve::cpu {

namespace {

float dot_f32(const float* a, const float* b, int n) {
  const int n8 = n - n % 8;
  __m256 acc = _mm256_setzero_ps();
  for (int k = 0; k < n8; k += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + k), _mm256_loadu_ps(b + k), acc);
  float y = hsum(acc);
  for (int k = n8; k < n; ++k) y = fma1(a[k], b[k], y);
  return y;
}

void axpy(float a, const float* x, float* y, int n) {
  const int n8 = n - n % 8;
  const __m256 av = _mm256_set1_ps(a);
  for (int k = 0; k < n8; k += 8)
    _mm256_storeu_ps(y + k, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + k), _mm256_loadu_ps(y + k)));
  for (int k = n8; k < n; ++k) y[k] = fma1(a, x[k], y[k]);
}

}  // namespace

vector_kernels detail::avx2_vector_kernels() { return {dot_f32, axpy}; }

matmul_kernel detail::avx2_kernel(tensor_type type) {
  switch (type) {
    // 3 x 4 float accumulators + 3 weight vectors + 1 activation vector = 16
    case tensor_type::f32: return tiled<float_tiles<tensor_type::f32, 3, 4>>;
    case tensor_type::f16: return tiled<float_tiles<tensor_type::f16, 3, 4>>;
    case tensor_type::bf16: return tiled<float_tiles<tensor_type::bf16, 3, 4>>;
    case tensor_type::q8_0: return tiled<q8_tiles<false, 2, 4>>;
    case tensor_type::q4_0: return tiled<q8_tiles<true, 2, 4>>;
    case tensor_type::q4_k:
    case tensor_type::q5_k:
    case tensor_type::q6_k: return avx2_k_kernel(type);
  }
  return nullptr;
}

}  // namespace binserve::cpu
