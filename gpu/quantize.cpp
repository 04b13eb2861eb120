// Built with -ffp-contract=off (CMakeLists.txt), like tensor_types.cpp: the
// reference rounds x * (1 / d) + 8.5 twice.
#include "gpu/quantize.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

namespace binserve::gguf {

namespace {

void put_half(unsigned char* p, float v) {
  const std::uint16_t h = float_to_half(v);
  std::memcpy(p, &h, sizeof h);
}

void q8_0(const float* x, unsigned char* b) {
  float amax = 0;
  for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127;
  const float id = d != 0 ? 1.0f / d : 0.0f;
  put_half(b, d);
  for (int j = 0; j < 32; ++j) b[2 + j] = static_cast<unsigned char>(static_cast<std::int8_t>(std::round(x[j] * id)));
}

void q4_0(const float* x, unsigned char* b) {
  float amax = 0, max = 0;
  for (int j = 0; j < 32; ++j)
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  const float d = max / -8;
  const float id = d != 0 ? 1.0f / d : 0.0f;
  put_half(b, d);
  for (int j = 0; j < 16; ++j) {
    const float x0 = x[j] * id, x1 = x[j + 16] * id;
    const int q0 = std::min(15, static_cast<int>(static_cast<std::int8_t>(x0 + 8.5f)));
    const int q1 = std::min(15, static_cast<int>(static_cast<std::int8_t>(x1 + 8.5f)));
    b[2 + j] = static_cast<unsigned char>(q0 | (q1 << 4));
  }
}

std::uint16_t float_to_bf16(float f) {
  std::uint32_t u = std::bit_cast<std::uint32_t>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((u >> 16) | 64);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest even
  return static_cast<std::uint16_t>(u >> 16);
}

}  // namespace

bool can_quantize(tensor_type type) {
  return type == tensor_type::f32 || type == tensor_type::f16 || type == tensor_type::bf16 ||
         type == tensor_type::q8_0 || type == tensor_type::q4_0;
}

void quantize(tensor_type type, const float* x, unsigned char* out, std::uint64_t n) {
  switch (type) {
    case tensor_type::f32: std::memcpy(out, x, n * sizeof(float)); return;
    case tensor_type::f16:
      for (std::uint64_t i = 0; i < n; ++i) put_half(out + 2 * i, x[i]);
      return;
    case tensor_type::bf16:
      for (std::uint64_t i = 0; i < n; ++i) {
        const std::uint16_t h = float_to_bf16(x[i]);
        std::memcpy(out + 2 * i, &h, sizeof h);
      }
      return;
    case tensor_type::q8_0:
      for (std::uint64_t b = 0; b < n / 32; ++b) q8_0(x + 32 * b, out + 34 * b);
      return;
    case tensor_type::q4_0:
      for (std::uint64_t b = 0; b < n / 32; ++b) q4_0(x + 32 * b, out + 18 * b);
      return;
    default: return;  // not can_quantize
  }
}

}  // namespace binserve::gguf
