// Activation quantization, dispatch and the scalar kernels, which define the
// results every SIMD kernel must reproduce (gpu/cpu/kernels.hpp). Built with
// -ffp-contract=off: each fma below is the only fused operation.
#include "gpu/cpu/kernels.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

namespace binserve::cpu {

namespace {

float half_at(const unsigned char* p) {
  std::uint16_t h = 0;
  std::memcpy(&h, p, 2);
  return gguf::half_to_float(h);
}

// Weight k of a row of F32 / F16 / BF16, widened exactly.
template <gguf::tensor_type T>
float wide(const unsigned char* row, int k) {
  if constexpr (T == gguf::tensor_type::f32) {
    float v = 0;
    std::memcpy(&v, row + 4 * std::size_t(k), 4);
    return v;
  } else if constexpr (T == gguf::tensor_type::f16) {
    return half_at(row + 2 * std::size_t(k));
  } else {
    std::uint16_t b = 0;
    std::memcpy(&b, row + 2 * std::size_t(k), 2);
    return std::bit_cast<float>(std::uint32_t(b) << 16);
  }
}

// The contract's tree over 8 lanes.
float tree(const float l[8]) {
  float s[4], t[2];
  for (int i = 0; i < 4; ++i) s[i] = l[i] + l[i + 4];
  for (int i = 0; i < 2; ++i) t[i] = s[i] + s[i + 2];
  return t[0] + t[1];
}

template <gguf::tensor_type T>
float dot_float(const unsigned char* w, const float* x, int n) {
  const int n8 = n - n % 8;
  float l[8] = {};
  for (int k = 0; k < n8; k += 8)
    for (int j = 0; j < 8; ++j) l[j] = std::fma(wide<T>(w, k + j), x[k + j], l[j]);
  float y = tree(l);
  for (int k = n8; k < n; ++k) y = std::fma(wide<T>(w, k), x[k], y);
  return y;
}

// Q8_0 (34-byte blocks: int8 quants) and Q4_0 (18 bytes: nibbles - 8, value
// j < 16 the low nibble of byte j, j + 16 its high one).
template <bool four_bits>
float dot_q8(const unsigned char* w, const q8_block* x, int n) {
  constexpr int kBytes = four_bits ? 18 : 34;
  float l[8] = {};
  for (int b = 0; b < n / 32; ++b, w += kBytes) {
    const float d = half_at(w) * x[b].d;
    for (int j = 0; j < 8; ++j) {
      std::int32_t p = 0;
      for (int i = 4 * j; i < 4 * j + 4; ++i) {
        const int q = four_bits ? ((i < 16 ? w[2 + i] : w[2 + i - 16] >> 4) & 0x0F) - 8 : std::int8_t(w[2 + i]);
        p += q * x[b].q[i];
      }
      l[j] = std::fma(d, float(p), l[j]);
    }
  }
  return tree(l);
}

// Q4_K (five_bits false: 144-byte blocks) and Q5_K (176: qh before qs).
template <bool five_bits>
float dot_q45_k(const unsigned char* w, const q8k_block* x, int n) {
  constexpr int kBytes = five_bits ? 176 : 144;
  float y = 0;
  for (int b = 0; b < n / 256; ++b, w += kBytes) {
    const unsigned char* qh = w + 16;
    const unsigned char* qs = w + (five_bits ? 48 : 16);
    std::int32_t isum = 0, msum = 0;
    for (int g = 0; g < 8; ++g) {
      int sc = 0, m = 0;
      gguf::k_scale_min(w + 4, g, sc, m);
      const unsigned char* q = qs + 32 * (g / 2);
      const int shift = 4 * (g % 2);
      std::int32_t gsum = 0;
      for (int i = 0; i < 32; ++i) {
        int v = (q[i] >> shift) & 0x0F;
        if constexpr (five_bits) v |= ((qh[i] >> g) & 1) << 4;
        gsum += v * x[b].q[32 * g + i];
      }
      isum += sc * gsum;
      msum += m * (x[b].bsums[2 * g] + x[b].bsums[2 * g + 1]);
    }
    y = std::fma(half_at(w) * x[b].d, float(isum), y);
    y = std::fma(-(half_at(w + 2) * x[b].d), float(msum), y);
  }
  return y;
}

float dot_q6_k(const unsigned char* w, const q8k_block* x, int n) {
  float y = 0;
  for (int b = 0; b < n / 256; ++b, w += 210) {
    const unsigned char* ql = w;
    const unsigned char* qh = w + 128;
    const auto* scales = reinterpret_cast<const std::int8_t*>(w + 192);
    std::int32_t sub[16] = {};
    for (int g = 0; g < 8; ++g) {
      const int h = g / 4, nib = (g / 2) % 2, k = g % 2, shift = 2 * (g % 4);
      for (int i = 0; i < 32; ++i) {
        const int lo = (ql[64 * h + 32 * k + i] >> (4 * nib)) & 0x0F;
        const int hi = (qh[32 * h + i] >> shift) & 0x03;
        const int e = 32 * g + i;
        sub[e / 16] += ((lo | (hi << 4)) - 32) * x[b].q[e];
      }
    }
    std::int32_t isum = 0;
    for (int s = 0; s < 16; ++s) isum += scales[s] * sub[s];
    y = std::fma(half_at(w + 208) * x[b].d, float(isum), y);
  }
  return y;
}

void scores(const float* q, const float* k, std::size_t stride, int count, int n, float scale, float* s) {
  for (int t = 0; t < count; ++t)
    s[t] = dot_float<gguf::tensor_type::f32>(reinterpret_cast<const unsigned char*>(k + t * stride), q, n) * scale;
}

void mix(const float* p, const float* v, std::size_t stride, int count, int n, float* y) {
  for (int t = 0; t < count; ++t)
    for (int j = 0; j < n; ++j) y[j] = std::fma(p[t], v[t * stride + j], y[j]);
}

// Round to nearest, ties to even, for |v| < 2^22: adding 1.5 * 2^23 leaves no
// fraction bits, so the sum rounds (in the default mode) and the difference
// is exact. Written out so that it vectorizes, where roundf is a call.
float round_even(float v) {
  constexpr float kMagic = 12582912.0f;
  return (v + kMagic) - kMagic;
}

// The scalar kernel of one dot: every output of the tile, one at a time.
template <typename X, float (*Dot)(const unsigned char*, const X*, int)>
void scalar_matmul(const matrix_view& w, int o_begin, int o_end, const void* x, std::size_t x_row_bytes, int rows,
                   float* y, int y_stride) {
  for (int r = 0; r < rows; ++r) {
    const X* xr = reinterpret_cast<const X*>(static_cast<const unsigned char*>(x) + r * x_row_bytes);
    for (int o = o_begin; o < o_end; ++o) y[std::size_t(r) * y_stride + o] = Dot(w.data + o * w.row_bytes, xr, w.in);
  }
}

}  // namespace

activation_format activation_format_of(gguf::tensor_type w) {
  switch (w) {
    case gguf::tensor_type::f32:
    case gguf::tensor_type::f16:
    case gguf::tensor_type::bf16:
      return activation_format::f32;
    case gguf::tensor_type::q8_0:
    case gguf::tensor_type::q4_0:
      return activation_format::q8;
    case gguf::tensor_type::q4_k:
    case gguf::tensor_type::q5_k:
    case gguf::tensor_type::q6_k:
      return activation_format::q8k;
  }
  return activation_format::f32;
}

std::size_t activation_row_bytes(activation_format f, int n) {
  switch (f) {
    case activation_format::f32:
      return std::size_t(n) * sizeof(float);
    case activation_format::q8:
      return std::size_t(n / 32) * sizeof(q8_block);
    case activation_format::q8k:
      return std::size_t(n / 256) * sizeof(q8k_block);
  }
  return 0;
}

void quantize_row_q8(const float* x, q8_block* out, int n) {
  for (int b = 0; b < n / 32; ++b, x += 32) {
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
    const float d = amax / 127, id = d != 0 ? 1 / d : 0;
    for (int i = 0; i < 32; ++i) out[b].q[i] = static_cast<std::int8_t>(round_even(x[i] * id));
    out[b].d = d;
  }
}

void quantize_row_q8k(const float* x, q8k_block* out, int n) {
  for (int b = 0; b < n / 256; ++b, x += 256) {
    float amax = 0, max = 0;  // the value of largest magnitude, with its sign
    for (int i = 0; i < 256; ++i)
      if (std::fabs(x[i]) > amax) amax = std::fabs(max = x[i]);
    q8k_block& o = out[b];
    const float iscale = amax != 0 ? -128 / max : 0;
    for (int i = 0; i < 256; ++i) o.q[i] = static_cast<std::int8_t>(std::min(127.0f, round_even(iscale * x[i])));
    for (int s = 0; s < 16; ++s) {
      int sum = 0;
      for (int i = 0; i < 16; ++i) sum += o.q[16 * s + i];
      o.bsums[s] = static_cast<std::int16_t>(sum);
    }
    o.d = amax != 0 ? 1 / iscale : 0;
  }
}

const char* isa_name(isa i) {
  switch (i) {
    case isa::scalar:
      return "scalar";
    case isa::avx2:
      return "avx2";
    case isa::avx512:
      return "avx512";
  }
  return "?";
}

bool cpu_supports(isa i) {
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  switch (i) {
    case isa::scalar:
      return true;
    case isa::avx2:
      return avx2;
    case isa::avx512:
      return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
  }
  return false;
}

isa best_isa() {
  static const isa best = cpu_supports(isa::avx512) ? isa::avx512 : cpu_supports(isa::avx2) ? isa::avx2 : isa::scalar;
  return best;
}

status_or<isa> chosen_isa() {
  const char* name = std::getenv("BINSERVE_CPU_KERNELS");
  if (name == nullptr || *name == '\0') return best_isa();
  for (isa i : {isa::scalar, isa::avx2, isa::avx512})
    if (std::strcmp(name, isa_name(i)) == 0) {
      if (cpu_supports(i)) return i;
      return status(error_code::invalid_argument, std::string("BINSERVE_CPU_KERNELS=") + name +
                                                      ": this CPU lacks it (best: " + isa_name(best_isa()) + ")");
    }
  return status(error_code::invalid_argument,
                std::string("BINSERVE_CPU_KERNELS=") + name + ": not scalar, avx2 or avx512");
}

attention_kernels detail::scalar_attention_kernels() { return {scores, mix}; }

attention_kernels attention_kernels_for(isa i) {
  return i == isa::scalar ? detail::scalar_attention_kernels() : detail::avx2_attention_kernels();
}

matmul_kernel kernel_for(gguf::tensor_type type, isa i) {
  switch (i) {
    case isa::scalar:
      return detail::scalar_kernel(type);
    case isa::avx2:
      return detail::avx2_kernel(type);
    case isa::avx512:
      return detail::avx512_kernel(type);
  }
  return nullptr;
}

matmul_kernel detail::scalar_kernel(gguf::tensor_type type) {
  using gguf::tensor_type;
  switch (type) {
    case tensor_type::f32:
      return scalar_matmul<float, dot_float<tensor_type::f32>>;
    case tensor_type::f16:
      return scalar_matmul<float, dot_float<tensor_type::f16>>;
    case tensor_type::bf16:
      return scalar_matmul<float, dot_float<tensor_type::bf16>>;
    case tensor_type::q8_0:
      return scalar_matmul<q8_block, dot_q8<false>>;
    case tensor_type::q4_0:
      return scalar_matmul<q8_block, dot_q8<true>>;
    case tensor_type::q4_k:
      return scalar_matmul<q8k_block, dot_q45_k<false>>;
    case tensor_type::q5_k:
      return scalar_matmul<q8k_block, dot_q45_k<true>>;
    case tensor_type::q6_k:
      return scalar_matmul<q8k_block, dot_q6_k>;
  }
  return nullptr;
}

}  // namespace binserve::cpu
