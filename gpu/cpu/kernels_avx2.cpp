// AVX2 kernels (with FMA and F16C): gpu/cpu/kernels_simd.hpp's code with
// tiles for 16 vector registers and kernels_k_simd.hpp's k-quants,
// bit-identical to the scalar kernels.
#include "gpu/cpu/kernels_k_simd.hpp"

namespace binserve::cpu {

namespace {

// Four positions at a time, each dot as the F32 contract orders it.
void scores(const float* q, const float* k, std::size_t stride, int count, int n, float scale, float* s) {
  const int n8 = n - n % 8;
  int t = 0;
  for (; t + 4 <= count; t += 4) {
    const float* kt[4] = {k + t * stride, k + (t + 1) * stride, k + (t + 2) * stride, k + (t + 3) * stride};
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int j = 0; j < n8; j += 8) {
      const __m256 qv = _mm256_loadu_ps(q + j);
      for (int i = 0; i < 4; ++i) acc[i] = _mm256_fmadd_ps(_mm256_loadu_ps(kt[i] + j), qv, acc[i]);
    }
    for (int i = 0; i < 4; ++i) {
      float y = hsum(acc[i]);
      for (int j = n8; j < n; ++j) y = fma1(kt[i][j], q[j], y);
      s[t + i] = y * scale;
    }
  }
  for (; t < count; ++t) {
    const float* kt = k + t * stride;
    __m256 acc = _mm256_setzero_ps();
    for (int j = 0; j < n8; j += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(kt + j), _mm256_loadu_ps(q + j), acc);
    float y = hsum(acc);
    for (int j = n8; j < n; ++j) y = fma1(kt[j], q[j], y);
    s[t] = y * scale;
  }
}

// y stays in registers, W floats at a time, while every position adds in.
template <int W>
int mix_columns(const float* p, const float* v, std::size_t stride, int count, int n, int j, float* y) {
  constexpr int kVec = W / 8;
  for (; j + W <= n; j += W) {
    __m256 acc[kVec];
    for (int i = 0; i < kVec; ++i) acc[i] = _mm256_loadu_ps(y + j + 8 * i);
    for (int t = 0; t < count; ++t) {
      const __m256 pt = _mm256_set1_ps(p[t]);
      const float* vt = v + t * stride + j;
      for (int i = 0; i < kVec; ++i) acc[i] = _mm256_fmadd_ps(pt, _mm256_loadu_ps(vt + 8 * i), acc[i]);
    }
    for (int i = 0; i < kVec; ++i) _mm256_storeu_ps(y + j + 8 * i, acc[i]);
  }
  return j;
}

void mix(const float* p, const float* v, std::size_t stride, int count, int n, float* y) {
  int j = mix_columns<32>(p, v, stride, count, n, 0, y);
  j = mix_columns<8>(p, v, stride, count, n, j, y);
  for (; j < n; ++j) {
    float a = y[j];
    for (int t = 0; t < count; ++t) a = fma1(p[t], v[t * stride + j], a);
    y[j] = a;
  }
}

}  // namespace

attention_kernels detail::avx2_attention_kernels() { return {scores, mix}; }

matmul_kernel detail::avx2_kernel(tensor_type type) {
  switch (type) {
    // 3 x 4 float accumulators + 3 weight vectors + 1 activation vector = 16
    case tensor_type::f32:
      return tiled<float_tiles<tensor_type::f32, 3, 4>>;
    case tensor_type::f16:
      return tiled<float_tiles<tensor_type::f16, 3, 4>>;
    case tensor_type::bf16:
      return tiled<float_tiles<tensor_type::bf16, 3, 4>>;
    case tensor_type::q8_0:
      return tiled<q8_tiles<false, 2, 4>>;
    case tensor_type::q4_0:
      return tiled<q8_tiles<true, 2, 4>>;
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
