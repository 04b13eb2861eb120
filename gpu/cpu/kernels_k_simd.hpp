// The SIMD kernels for the k-quants: Q4_K, Q5_K, Q6_K weight rows times
// q8k_block activation rows (gpu/cpu/kernels.hpp states the contract; the
// scalar kernels in kernels.cpp define the results, which these reproduce bit
// for bit). Shared like kernels_simd.hpp, which it includes: kernels_avx2.cpp
// and kernels_avx512.cpp compile it each with their own flags.
//
// Per super-block of 256 values, with xq the int8 activations and dx their scale:
//   Q4_K, Q5_K  isum = sum_g sc_g * sum_{i in g} q_i * xq_i   (8 groups of 32,
//               q in 0..15 resp. 0..31), msum = sum_g m_g * (bsums[2g] + bsums[2g+1]);
//               y = fma(d * dx, float(isum), y); y = fma(-(dmin * dx), float(msum), y)
//   Q6_K        isum = sum_s sc_s * sum_{i in s} q_i * xq_i - 32 * sum_s sc_s * bsums[s]
//               (16 sub-blocks of 16, q in 0..63), which equals the contract's
//               sum_s sc_s * sum_{i in s} (q_i - 32) * xq_i; y = fma(d * dx, float(isum), y)
// The integer sums are exact (below 2^31), so their SIMD order is free:
// _mm256_maddubs_epi16 multiplies the unsigned quants by the signed xq and adds
// pairs (at most 2 * 63 * 128 < 2^15: no saturation), _mm256_madd_epi16 scales
// the pairs by the group scales into int32 lanes, and one horizontal sum per
// super-block gives isum. The float steps are scalar, in the contract's order.
//
// Batches: outputs outer, rows inner, so each weight row is read from memory
// once and stays in L1 for every activation row.
//
// With AVX-512 BW and VNNI, Q4_K and Q5_K take two groups (64 values: the low
// and high nibbles of 32 bytes) per 512-bit step, and VNNI's dpwssd scales
// the pairs and adds them in one instruction.
//
// No inline library code (std::min, std::vector, ...): an ODR-merged copy
// compiled for one instruction set could run on a CPU without it. Weights come
// from a memory-mapped file with no alignment: every load is unaligned.
#pragma once

#include "gpu/cpu/kernels_simd.hpp"

namespace binserve::cpu {
namespace {

__m256i load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

std::int32_t hsum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

// 32 unsigned quants times 32 int8 activations, pairs summed, each half
// (16 values) scaled by its own int16 scale: 8 int32 partial sums.
__m256i scaled_dot(__m256i q, const std::int8_t* xq, __m256i scales) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(q, load(xq)), scales);
}

// The 8 scales (bytes 0-7) and 8 mins (bytes 8-15) of a Q4_K / Q5_K block from
// its 12 packed bytes (gguf::k_scale_min's layout), four groups per 32-bit
// word: with a, b, c the words at bytes 0, 4, 8, scales 0-3 are a's low 6
// bits, mins 0-3 b's; scales 4-7 are c's low nibbles under a's top 2 bits,
// mins 4-7 c's high nibbles under b's top 2 bits.
void unpack_scales(const unsigned char* s, unsigned char out[16]) {
  std::uint32_t a = 0, b = 0, c = 0;
  std::memcpy(&a, s, 4);
  std::memcpy(&b, s + 4, 4);
  std::memcpy(&c, s + 8, 4);
  const std::uint32_t six = 0x3f3f3f3f, four = 0x0f0f0f0f, two = 0x03030303;
  const std::uint32_t words[4] = {a & six, (c & four) | (((a >> 6) & two) << 4), b & six,
                                  ((c >> 4) & four) | (((b >> 6) & two) << 4)};
  std::memcpy(out, words, 16);
}

#if defined(__AVX512BW__) && defined(__AVX512VNNI__)
// v in both halves of a 512-bit vector.
__m512i twice(__m256i v) {
  const __m512i z = _mm512_zextsi256_si512(v);
  return _mm512_shuffle_i64x2(z, z, 0x44);
}
#endif

// isum and msum of one Q4_K (five_bits false: 144 bytes) or Q5_K (176 bytes:
// qh[32] before qs) super-block. Groups 2c and 2c + 1 are the low and high
// nibbles of qs[32c ..]; msum pairs bsums (madd) against the mins.
template <bool five_bits>
void sums_q45_k(const unsigned char* w, const q8k_block& x, std::int32_t& isum, std::int32_t& msum) {
  const unsigned char* qs = w + (five_bits ? 48 : 16);
  unsigned char sm[16];
  unpack_scales(w + 4, sm);
  // mins m_0 m_0 m_1 m_1 ... m_7 m_7 as int16 against the 16 bsums: 8 int32 pair sums
  const __m128i dup = _mm_setr_epi8(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15);
  const __m256i mins =
      _mm256_cvtepu8_epi16(_mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sm)), dup));
  msum = hsum(_mm256_madd_epi16(load(x.bsums), mins));
#if defined(__AVX512BW__) && defined(__AVX512VNNI__)
  // Step c: bytes qs[32c ..] twice, shifted by 0 (low 256 bits) and 4 (high):
  // groups 2c and 2c + 1, against xq[64c ..]; each half's scale by vpermw.
  constexpr __mmask32 kHighWords = 0xFFFF0000u;
  constexpr __mmask64 kHighBytes = 0xFFFFFFFF00000000ull;
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const __m512i shifts = _mm512_mask_blend_epi16(kHighWords, _mm512_setzero_si512(), _mm512_set1_epi16(4));
  const __m512i pick = _mm512_mask_blend_epi16(kHighWords, _mm512_setzero_si512(), _mm512_set1_epi16(1));
  const __m512i sc16 =
      _mm512_cvtepu8_epi16(_mm256_zextsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sm))));
  const __m512i qh = five_bits ? twice(load(w + 16)) : _mm512_setzero_si512();
  __m512i acc = _mm512_setzero_si512();
  for (int c = 0; c < 4; ++c) {
    __m512i q = _mm512_and_si512(_mm512_srlv_epi16(twice(load(qs + 32 * c)), shifts), low4);
    if constexpr (five_bits) {  // bit g of qh[i] is the fifth bit of value i of group g: add 16 where set
      const __m512i bits = _mm512_mask_blend_epi8(kHighBytes, _mm512_set1_epi8(static_cast<char>(1 << (2 * c))),
                                                  _mm512_set1_epi8(static_cast<char>(1 << (2 * c + 1))));
      q = _mm512_mask_add_epi8(q, _mm512_test_epi8_mask(qh, bits), q, _mm512_set1_epi8(16));
    }
    const __m512i scales =
        _mm512_permutexvar_epi16(_mm512_add_epi16(pick, _mm512_set1_epi16(static_cast<short>(2 * c))), sc16);
    const __m512i pairs = _mm512_maddubs_epi16(q, _mm512_loadu_si512(x.q + 64 * c));
    acc = _mm512_dpwssd_epi32(acc, pairs, scales);
  }
  isum = _mm512_reduce_add_epi32(acc);
#else
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i qh = five_bits ? load(w + 16) : _mm256_setzero_si256();
  __m256i acc = _mm256_setzero_si256();
  for (int g = 0; g < 8; ++g) {
    const __m256i bytes = load(qs + 32 * (g / 2));
    __m256i q = _mm256_and_si256(g % 2 ? _mm256_srli_epi16(bytes, 4) : bytes, low4);
    if constexpr (five_bits) {  // bit g of qh[i] is the fifth bit of value i: 16 where set
      const __m256i bit = _mm256_set1_epi8(static_cast<char>(1 << g));
      const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(qh, bit), bit);
      q = _mm256_or_si256(q, _mm256_and_si256(set, _mm256_set1_epi8(16)));
    }
    acc = _mm256_add_epi32(acc, scaled_dot(q, x.q + 32 * g, _mm256_set1_epi16(sm[g])));
  }
  isum = hsum(acc);
#endif
}

template <bool five_bits>
float dot_q45_k(const unsigned char* w, const q8k_block* x, int n) {
  constexpr int kBytes = five_bits ? 176 : 144;
  float y = 0;
  for (int b = 0; b < n / 256; ++b, w += kBytes) {
    std::int32_t isum = 0, msum = 0;
    sums_q45_k<five_bits>(w, x[b], isum, msum);
    y = fma1(half_at(w) * x[b].d, float(isum), y);
    y = fma1(-(half_at(w + 2) * x[b].d), float(msum), y);
  }
  return y;
}

// The four groups 4h .. 4h + 3 of a Q6_K half h, as bytes 0..63: group 4h + j
// takes nibble j / 2 of a (j even) or b (j odd), under bits 2j, 2j + 1 of hb.
void unpack_q6_half(__m256i a, __m256i b, __m256i hb, __m256i q[4]) {
  const __m256i low4 = _mm256_set1_epi8(0x0F), bits45 = _mm256_set1_epi8(0x30);
  q[0] = _mm256_or_si256(_mm256_and_si256(a, low4), _mm256_and_si256(_mm256_slli_epi16(hb, 4), bits45));
  q[1] = _mm256_or_si256(_mm256_and_si256(b, low4), _mm256_and_si256(_mm256_slli_epi16(hb, 2), bits45));
  q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(a, 4), low4), _mm256_and_si256(hb, bits45));
  q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b, 4), low4),
                         _mm256_and_si256(_mm256_srli_epi16(hb, 2), bits45));
}

// isum of one Q6_K super-block (210 bytes: ql[128], qh[64], int8 scales[16], half d).
std::int32_t isum_q6_k(const unsigned char* w, const q8k_block& x) {
  const auto* scales = reinterpret_cast<const std::int8_t*>(w + 192);
  // The offset: 32 * sum_s sc_s * bsums[s], subtracted lane-wise.
  const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales)));
  const __m256i bsums = load(x.bsums);
  __m256i acc = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16, bsums), 5));
  for (int h = 0; h < 2; ++h) {
    __m256i q[4];
    unpack_q6_half(load(w + 64 * h), load(w + 64 * h + 32), load(w + 128 + 32 * h), q);
    for (int j = 0; j < 4; ++j) {
      const int g = 4 * h + j;  // values 32g .. 32g + 31: sub-blocks 2g (low lane), 2g + 1 (high)
      const __m256i s = _mm256_setr_m128i(_mm_set1_epi16(scales[2 * g]), _mm_set1_epi16(scales[2 * g + 1]));
      acc = _mm256_add_epi32(acc, scaled_dot(q[j], x.q + 32 * g, s));
    }
  }
  return hsum(acc);
}

float dot_q6_k(const unsigned char* w, const q8k_block* x, int n) {
  float y = 0;
  for (int b = 0; b < n / 256; ++b, w += 210) y = fma1(half_at(w + 208) * x[b].d, float(isum_q6_k(w, x[b])), y);
  return y;
}

// Every output of the tile: weight row o outer, activation rows inner.
template <float (*Dot)(const unsigned char*, const q8k_block*, int)>
void k_matmul(const matrix_view& w, int o_begin, int o_end, const void* x, std::size_t x_row_bytes, int rows, float* y,
              int y_stride) {
  const auto* x_bytes = static_cast<const unsigned char*>(x);
  for (int o = o_begin; o < o_end; ++o) {
    const unsigned char* w_row = w.data + std::size_t(o) * w.row_bytes;
    for (int r = 0; r < rows; ++r) {
      const auto* x_row = reinterpret_cast<const q8k_block*>(x_bytes + std::size_t(r) * x_row_bytes);
      y[std::size_t(r) * y_stride + o] = Dot(w_row, x_row, w.in);
    }
  }
}

template <tensor_type T>
matmul_kernel k_quant_kernel() {
  if constexpr (T == tensor_type::q4_k) return k_matmul<dot_q45_k<false>>;
  if constexpr (T == tensor_type::q5_k) return k_matmul<dot_q45_k<true>>;
  return k_matmul<dot_q6_k>;
}

}  // namespace
}  // namespace binserve::cpu
