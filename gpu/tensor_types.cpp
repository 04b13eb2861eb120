// Built with -ffp-contract=off (CMakeLists.txt): a fused multiply-add would
// round x = dl * q - ml once instead of twice and miss the reference values.
#include "gpu/tensor_types.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <unordered_map>

namespace binserve::gguf {

namespace {

constexpr std::uint64_t kQK = 256;  // values in a k-quant super-block

std::uint16_t u16_at(const unsigned char* p) {
  std::uint16_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}

float half_at(const unsigned char* p) { return half_to_float(u16_at(p)); }

void q8_0(const unsigned char* b, float* y) {
  const float d = half_at(b);
  for (int i = 0; i < 32; ++i) y[i] = static_cast<float>(static_cast<std::int8_t>(b[2 + i])) * d;
}

void q4_0(const unsigned char* b, float* y) {
  const float d = half_at(b);
  const unsigned char* qs = b + 2;
  for (int j = 0; j < 16; ++j) {
    y[j] = d * static_cast<float>((qs[j] & 0x0F) - 8);
    y[j + 16] = d * static_cast<float>((qs[j] >> 4) - 8);
  }
}

// Q4_K (qh == nullptr) and Q5_K.
void q45_k(const unsigned char* b, const unsigned char* qh, const unsigned char* qs, float* y) {
  const float d = half_at(b), dmin = half_at(b + 2);
  const unsigned char* scales = b + 4;
  for (int g = 0; g < 8; ++g) {
    int sc = 0, m = 0;
    k_scale_min(scales, g, sc, m);
    const float dl = d * static_cast<float>(sc), ml = dmin * static_cast<float>(m);
    const unsigned char* q = qs + 32 * (g / 2);
    const int shift = 4 * (g % 2);
    for (int i = 0; i < 32; ++i) {
      int v = (q[i] >> shift) & 0x0F;
      if (qh != nullptr) v |= ((qh[i] >> g) & 1) << 4;
      const float scaled = dl * static_cast<float>(v);
      y[32 * g + i] = scaled - ml;
    }
  }
}

void q6_k(const unsigned char* b, float* y) {
  const unsigned char* ql = b;
  const unsigned char* qh = b + 128;
  const auto* scales = reinterpret_cast<const std::int8_t*>(b + 192);
  const float d = half_at(b + 208);
  for (int g = 0; g < 8; ++g) {
    const int h = g / 4, n = (g / 2) % 2, k = g % 2, shift = 2 * (g % 4);
    for (int i = 0; i < 32; ++i) {
      const int lo = (ql[64 * h + 32 * k + i] >> (4 * n)) & 0x0F;
      const int hi = (qh[32 * h + i] >> shift) & 0x03;
      const int e = 32 * g + i;
      const float dl = d * static_cast<float>(scales[e / 16]);
      y[e] = dl * static_cast<float>((lo | (hi << 4)) - 32);
    }
  }
}

}  // namespace

std::optional<type_layout> layout_of(std::uint32_t id) {
  switch (static_cast<tensor_type>(id)) {
    case tensor_type::f32:
      return type_layout{1, 4};
    case tensor_type::f16:
      return type_layout{1, 2};
    case tensor_type::bf16:
      return type_layout{1, 2};
    case tensor_type::q8_0:
      return type_layout{32, 34};
    case tensor_type::q4_0:
      return type_layout{32, 18};
    case tensor_type::q4_k:
      return type_layout{kQK, 144};
    case tensor_type::q5_k:
      return type_layout{kQK, 176};
    case tensor_type::q6_k:
      return type_layout{kQK, 210};
  }
  return std::nullopt;
}

std::string type_name(std::uint32_t id) {
  static const std::unordered_map<std::uint32_t, const char*> names = {
      {0, "F32"},  {1, "F16"},   {2, "Q4_0"},  {3, "Q4_1"},  {6, "Q5_0"},  {7, "Q5_1"},  {8, "Q8_0"},
      {9, "Q8_1"}, {10, "Q2_K"}, {11, "Q3_K"}, {12, "Q4_K"}, {13, "Q5_K"}, {14, "Q6_K"}, {15, "Q8_K"},
      {24, "I8"},  {25, "I16"},  {26, "I32"},  {27, "I64"},  {28, "F64"},  {30, "BF16"}};
  const auto it = names.find(id);
  if (layout_of(id)) return it->second;
  return std::to_string(id) + (it == names.end() ? "" : std::string(" (") + it->second + ")");
}

std::optional<tensor_type> type_named(const std::string& name) {
  for (tensor_type t : {tensor_type::f32, tensor_type::f16, tensor_type::bf16, tensor_type::q8_0, tensor_type::q4_0,
                        tensor_type::q4_k, tensor_type::q5_k, tensor_type::q6_k})
    if (type_name(static_cast<std::uint32_t>(t)) == name) return t;
  return std::nullopt;
}

void k_scale_min(const unsigned char* s, int g, int& sc, int& m) {
  if (g < 4) {
    sc = s[g] & 63;
    m = s[g + 4] & 63;
  } else {
    sc = (s[g + 4] & 0x0F) | ((s[g - 4] >> 6) << 4);
    m = (s[g + 4] >> 4) | ((s[g] >> 6) << 4);
  }
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1fu;
  const std::uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in fp32
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  const std::uint32_t bits = exponent == 0x1f ? sign | 0x7f800000u | (mantissa << 13)  // inf, NaN
                                              : sign | ((exponent + 112) << 23) | (mantissa << 13);
  return std::bit_cast<float>(bits);
}

std::uint16_t float_to_half(float f) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  const std::uint32_t sign = (x >> 16) & 0x8000u;
  const std::uint32_t magnitude = x & 0x7fffffffu;
  std::uint32_t h = 0;
  if (magnitude > 0x7f800000u)
    h = 0x7e00u;  // NaN
  else if (magnitude >= 0x477ff000u)
    h = 0x7c00u;                     // >= 65520 rounds to inf
  else if (magnitude < 0x38800000u)  // below 2^-14: a count of 2^-24 (1024 is 2^-14 itself)
    h = static_cast<std::uint32_t>(std::nearbyint(std::bit_cast<float>(magnitude) * 16777216.0f));
  else {
    h = (magnitude >> 13) - (112u << 10);  // rebias the exponent 127 -> 15
    const std::uint32_t rest = magnitude & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // a carry bumps the exponent
  }
  return static_cast<std::uint16_t>(sign | h);
}

void dequantize(tensor_type type, const unsigned char* src, float* dst, std::uint64_t n) {
  switch (type) {
    case tensor_type::f32:
      std::memcpy(dst, src, n * sizeof(float));
      return;
    case tensor_type::f16:
      for (std::uint64_t i = 0; i < n; ++i) dst[i] = half_at(src + 2 * i);
      return;
    case tensor_type::bf16:
      for (std::uint64_t i = 0; i < n; ++i) dst[i] = std::bit_cast<float>(std::uint32_t(u16_at(src + 2 * i)) << 16);
      return;
    case tensor_type::q8_0:
      for (std::uint64_t b = 0; b < n / 32; ++b) q8_0(src + 34 * b, dst + 32 * b);
      return;
    case tensor_type::q4_0:
      for (std::uint64_t b = 0; b < n / 32; ++b) q4_0(src + 18 * b, dst + 32 * b);
      return;
    case tensor_type::q4_k:
      for (std::uint64_t b = 0; b < n / kQK; ++b) {
        const unsigned char* block = src + 144 * b;
        q45_k(block, nullptr, block + 16, dst + kQK * b);
      }
      return;
    case tensor_type::q5_k:
      for (std::uint64_t b = 0; b < n / kQK; ++b) {
        const unsigned char* block = src + 176 * b;
        q45_k(block, block + 16, block + 48, dst + kQK * b);
      }
      return;
    case tensor_type::q6_k:
      for (std::uint64_t b = 0; b < n / kQK; ++b) q6_k(src + 210 * b, dst + kQK * b);
      return;
  }
}

}  // namespace binserve::gguf
