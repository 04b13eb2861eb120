// The SIMD kernels' code, shared by the instruction-set files that include
// it (kernels_avx2.cpp, kernels_avx512.cpp): each compiles it with its own
// flags, so everything here has internal linkage (an anonymous namespace):
// no copy built for one instruction set can be merged into another's
// callers. It calls no inline library code for the same reason.
//
// Float types (F32, F16, BF16 times fp32 rows): a tile of O weight rows
// times R activation rows keeps O * R accumulators of 8 lanes in registers;
// lane j of accumulator (o, r) sums k = j mod 8 in order, as the contract
// (kernels.hpp) says, whatever the tile. A weight row is read once per R
// activation rows; a lone row streams through its weights one row at a time.
//
// Q8_0 / Q4_0 (times q8_block rows): per block, |w| * sign(w) x summed in
// groups of 4 (maddubs + madd, or AVX-512 VNNI's dpbusd): the exact lane sums
// of the contract, accumulated in fp32 lanes; a weight block is decoded once
// for R activation rows.
#pragma once

#include <immintrin.h>

#include <cstring>

#include "gpu/cpu/kernels.hpp"

namespace binserve::cpu {
namespace {

using gguf::tensor_type;

float fma1(float a, float b, float c) { return __builtin_fmaf(a, b, c); }

float half_at(const unsigned char* p) {
  unsigned short h = 0;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

// Eight weights from k on, widened to fp32 exactly.
template <tensor_type T>
__m256 load8(const unsigned char* row, int k) {
  if constexpr (T == tensor_type::f32) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + k);
  } else if constexpr (T == tensor_type::f16) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * k)));
  } else {
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * k)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
  }
}

template <tensor_type T>
float load1(const unsigned char* row, int k) {
  if constexpr (T == tensor_type::f32) {
    float v = 0;
    std::memcpy(&v, row + 4 * k, 4);
    return v;
  } else if constexpr (T == tensor_type::f16) {
    return half_at(row + 2 * k);
  } else {
    unsigned short b = 0;
    std::memcpy(&b, row + 2 * k, 2);
    const unsigned bits = unsigned(b) << 16;
    float v = 0;
    std::memcpy(&v, &bits, 4);
    return v;
  }
}

// (l0 + l4) + (l2 + l6) + ((l1 + l5) + (l3 + l7)): the contract's tree.
float hsum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

// y (R rows, O outputs from o) for weight rows o .. o + O - 1; x rows are
// `xrb` bytes apart.
template <tensor_type T, int TileO, int TileR>
struct float_tiles {
  static constexpr int O = TileO, R = TileR, O1 = 1;  // one row streams best alone

  template <int TO, int TR>
  static void tile(const matrix_view& w, int o, const unsigned char* xb, std::size_t xrb, float* y, int ys) {
    const int n = w.in, n8 = n - n % 8;
    const unsigned char* row[TO];
    const float* x[TR];
    for (int i = 0; i < TO; ++i) row[i] = w.data + (o + i) * w.row_bytes;
    for (int j = 0; j < TR; ++j) x[j] = reinterpret_cast<const float*>(xb + j * xrb);
    __m256 acc[TO][TR];
    for (int i = 0; i < TO; ++i)
      for (int j = 0; j < TR; ++j) acc[i][j] = _mm256_setzero_ps();
    for (int k = 0; k < n8; k += 8) {
      __m256 wv[TO];
      for (int i = 0; i < TO; ++i) wv[i] = load8<T>(row[i], k);
      for (int j = 0; j < TR; ++j) {
        const __m256 xv = _mm256_loadu_ps(x[j] + k);
        for (int i = 0; i < TO; ++i) acc[i][j] = _mm256_fmadd_ps(wv[i], xv, acc[i][j]);
      }
    }
    for (int i = 0; i < TO; ++i)
      for (int j = 0; j < TR; ++j) {
        float v = hsum(acc[i][j]);
        for (int k = n8; k < n; ++k) v = fma1(load1<T>(row[i], k), x[j][k], v);
        y[std::size_t(j) * ys + o + i] = v;
      }
  }
};

// sum_i u_i * s_i over 32 unsigned (u <= 128) and signed bytes: lane j sums
// i = 4j .. 4j + 3 (exact either way: pairs stay below 2^15).
__m256i dot_u8_s8(__m256i u, __m256i s) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
#else
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
#endif
}

// The 32 quants of a Q8_0 block (int8) or a Q4_0 block (nibble - 8), as signed bytes.
template <bool four_bits>
__m256i block_quants(const unsigned char* block) {
  if constexpr (four_bits) {
    const __m128i qs = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2));
    const __m128i low = _mm_set1_epi8(0x0F);
    const __m256i nib = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(qs, 4), low), _mm_and_si128(qs, low));
    return _mm256_sub_epi8(nib, _mm256_set1_epi8(8));
  } else {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2));
  }
}

// Q8_0 / Q4_0 rows times q8_block rows: per block, lane j of accumulator
// (o, r) takes fma(dw * dx, float(p_j), lane_j) with p_j the exact sum of
// products 4j .. 4j + 3, from |w| * sign(w) x (maddubs, madd); a weight
// block's quants are made once for the tile's R rows.
template <bool four_bits, int TileO, int TileR>
struct q8_tiles {
  static constexpr int O = TileO, R = TileR, O1 = 1;
  static constexpr int kBytes = four_bits ? 18 : 34;

  template <int TO, int TR>
  static void tile(const matrix_view& w, int o, const unsigned char* xb, std::size_t xrb, float* y, int ys) {
    const q8_block* x[TR];
    for (int j = 0; j < TR; ++j) x[j] = reinterpret_cast<const q8_block*>(xb + j * xrb);
    __m256 acc[TO][TR];
    for (int i = 0; i < TO; ++i)
      for (int j = 0; j < TR; ++j) acc[i][j] = _mm256_setzero_ps();
    for (int b = 0; b < w.in / 32; ++b)
      for (int i = 0; i < TO; ++i) {
        const unsigned char* block = w.data + (o + i) * w.row_bytes + b * kBytes;
        const __m256i wq = block_quants<four_bits>(block);
        const __m256i aw = _mm256_sign_epi8(wq, wq);
        const float dw = half_at(block);
        for (int j = 0; j < TR; ++j) {
          const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[j][b].q));
          const __m256 p = _mm256_cvtepi32_ps(dot_u8_s8(aw, _mm256_sign_epi8(xq, wq)));
          acc[i][j] = _mm256_fmadd_ps(_mm256_set1_ps(dw * x[j][b].d), p, acc[i][j]);
        }
      }
    for (int i = 0; i < TO; ++i)
      for (int j = 0; j < TR; ++j) y[std::size_t(j) * ys + o + i] = hsum(acc[i][j]);
  }
};

// Outputs [o_begin, o_end) of R rows: tiles of O outputs, then one by one.
template <class K, int O, int R>
void over_outputs(const matrix_view& w, int o_begin, int o_end, const unsigned char* x, std::size_t xrb, float* y,
                  int ys) {
  int o = o_begin;
  for (; o + O <= o_end; o += O) K::template tile<O, R>(w, o, x, xrb, y, ys);
  for (; o < o_end; ++o) K::template tile<1, R>(w, o, x, xrb, y, ys);
}

// Rows in groups of K::R (tiles of K::O outputs), the rest one at a time
// (tiles of K::O1 outputs). The outputs go in slabs whose weight rows fit in
// a core's L2 cache (256 KiB), each slab through every row: the weights are
// read from memory once per call, not once per group of rows.
template <class K>
void tiled(const matrix_view& w, int o_begin, int o_end, const void* xv, std::size_t xrb, int rows, float* y, int ys) {
  constexpr std::size_t kSlabBytes = std::size_t(256) << 10;
  const int slab = K::O * static_cast<int>(1 + kSlabBytes / (w.row_bytes * K::O));
  const auto* x = static_cast<const unsigned char*>(xv);
  for (int ob = o_begin; ob < o_end; ob += slab) {
    const int oe = o_end - ob < slab ? o_end : ob + slab;
    int r = 0;
    for (; r + K::R <= rows; r += K::R)
      over_outputs<K, K::O, K::R>(w, ob, oe, x + r * xrb, xrb, y + std::size_t(r) * ys, ys);
    for (; r < rows; ++r) over_outputs<K, K::O1, 1>(w, ob, oe, x + r * xrb, xrb, y + std::size_t(r) * ys, ys);
  }
}

}  // namespace
}  // namespace binserve::cpu
