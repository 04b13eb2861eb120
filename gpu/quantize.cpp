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

constexpr int kQK = 256;  // values in a k-quant super-block

int nearest(float v) { return static_cast<int>(std::lround(v)); }

// Least squares of x ~ s * l + b over n values for fixed levels l; with
// `offset` false, b = 0. Returns the squared error; b > 0 is not allowed
// (the formats store a non-negative min m = -b).
float fit_levels(const float* x, const int* l, int n, bool offset, float& s, float& b) {
  double sl = 0, sll = 0, sx = 0, sxl = 0;
  for (int i = 0; i < n; ++i) {
    sl += l[i];
    sll += double(l[i]) * l[i];
    sx += x[i];
    sxl += double(x[i]) * l[i];
  }
  const double det = n * sll - sl * sl;
  s = 0;
  b = 0;
  if (offset && det > 0) {
    s = static_cast<float>((n * sxl - sx * sl) / det);
    b = static_cast<float>((sll * sx - sl * sxl) / det);
  }
  if (!offset || det <= 0 || b > 0) {
    b = offset && det <= 0 ? static_cast<float>(std::min(0.0, sx / n)) : 0.0f;
    s = sll > 0 ? static_cast<float>((sxl - b * sl) / sll) : 0.0f;
  }
  double err = 0;
  for (int i = 0; i < n; ++i) {
    const double e = double(s) * l[i] + b - x[i];
    err += e * e;
  }
  return static_cast<float>(err);
}

// The scale s (and offset b <= 0, with `offset`) of one group of n values
// on levels [lo, hi]: level spacings around the range's are tried, each
// fitted by least squares, then the best is refined by re-assigning levels
// to the fit (a few Lloyd steps). Minimizes the plain squared error.
void fit_group(const float* x, int n, int lo, int hi, bool offset, float& s, float& b) {
  float xmin = x[0], xmax = x[0];
  for (int i = 1; i < n; ++i) {
    xmin = std::min(xmin, x[i]);
    xmax = std::max(xmax, x[i]);
  }
  if (offset) xmin = std::min(xmin, 0.0f);
  const float amax = std::max(std::fabs(xmin), std::fabs(xmax));
  s = 0;
  b = offset ? xmin : 0;
  if (amax == 0 || xmax == xmin) return;
  int l[32], best_l[32];
  float best = INFINITY;
  auto assign = [&](float scale, float shift) {
    for (int i = 0; i < n; ++i) l[i] = std::clamp(nearest((x[i] - shift) / scale), lo, hi);
  };
  auto consider = [&] {
    float cs = 0, cb = 0;
    const float err = fit_levels(x, l, n, offset, cs, cb);
    if (err < best && cs > 0) {
      best = err;
      s = cs;
      b = cb;
      std::copy(l, l + n, best_l);
    }
  };
  for (int t = -10; t <= 10; ++t) {
    if (offset) {
      assign((xmax - xmin) / (hi + 0.1f * t), xmin);
      consider();
    } else {  // symmetric levels: the largest magnitude near either end
      assign(amax / (-lo + 0.1f * t), 0);
      consider();
      assign(amax / (hi + 0.1f * t), 0);
      consider();
    }
  }
  for (int step = 0; step < 4 && s > 0; ++step) {
    assign(s, b);
    consider();
  }
}

// The 6-bit scale and min codes of Q4_K / Q5_K group j, packed as
// gguf::k_scale_min reads them.
void pack_scale_min(unsigned char* packed, int j, int sc, int m) {
  if (j < 4) {
    packed[j] = static_cast<unsigned char>(sc);
    packed[j + 4] = static_cast<unsigned char>(m);
  } else {
    packed[j + 4] = static_cast<unsigned char>((sc & 0x0F) | ((m & 0x0F) << 4));
    packed[j - 4] |= static_cast<unsigned char>((sc >> 4) << 6);
    packed[j] |= static_cast<unsigned char>((m >> 4) << 6);
  }
}

// Q4_K (nmax 15) and Q5_K (31): each group's scale and min fitted in fp32,
// then coded in 6 bits against the super-block's half d and dmin, then the
// levels re-assigned to the coded values.
void q45_k(const float* x, unsigned char* b, int nmax) {
  float scales[8], mins[8];
  for (int g = 0; g < 8; ++g) {
    float shift = 0;
    fit_group(x + 32 * g, 32, 0, nmax, true, scales[g], shift);
    mins[g] = -shift;
  }
  const float max_scale = *std::max_element(scales, scales + 8), max_min = *std::max_element(mins, mins + 8);
  put_half(b, max_scale / 63);
  put_half(b + 2, max_min / 63);
  const float d = half_to_float(float_to_half(max_scale / 63)), dmin = half_to_float(float_to_half(max_min / 63));
  unsigned char* packed = b + 4;
  std::memset(packed, 0, 12);
  const bool five = nmax == 31;
  unsigned char* qh = five ? b + 16 : nullptr;
  unsigned char* qs = five ? b + 48 : b + 16;
  if (five) std::memset(qh, 0, 32);
  std::memset(qs, 0, 128);
  for (int g = 0; g < 8; ++g) {
    const int sc = d > 0 ? std::clamp(nearest(scales[g] / d), 0, 63) : 0;
    const int m = dmin > 0 ? std::clamp(nearest(mins[g] / dmin), 0, 63) : 0;
    pack_scale_min(packed, g, sc, m);
    const float dl = d * static_cast<float>(sc), ml = dmin * static_cast<float>(m);
    for (int i = 0; i < 32; ++i) {
      const int q = dl > 0 ? std::clamp(nearest((x[32 * g + i] + ml) / dl), 0, nmax) : 0;
      qs[32 * (g / 2) + i] |= static_cast<unsigned char>((q & 0x0F) << (4 * (g % 2)));
      if (five) qh[i] |= static_cast<unsigned char>((q >> 4) << g);
    }
  }
}

// Q6_K: 16 groups of 16 on levels [-32, 31], each scale an int8 code of the
// super-block's half d.
void q6_k(const float* x, unsigned char* b) {
  float scales[16];
  for (int g = 0; g < 16; ++g) {
    float shift = 0;
    fit_group(x + 16 * g, 16, -32, 31, false, scales[g], shift);
  }
  float amax = 0;
  for (float v : scales) amax = std::max(amax, std::fabs(v));
  put_half(b + 208, amax / 127);
  const float d = half_to_float(float_to_half(amax / 127));
  unsigned char* ql = b;
  unsigned char* qh = b + 128;
  std::memset(b, 0, 208);
  int codes[16];
  for (int g = 0; g < 16; ++g) {
    codes[g] = d > 0 ? std::clamp(nearest(scales[g] / d), -128, 127) : 0;
    b[192 + g] = static_cast<unsigned char>(static_cast<std::int8_t>(codes[g]));
  }
  for (int e = 0; e < kQK; ++e) {
    const float dl = d * static_cast<float>(codes[e / 16]);
    const int q = (dl != 0 ? std::clamp(nearest(x[e] / dl), -32, 31) : 0) + 32;
    const int g = e / 32, i = e % 32, h = g / 4, n = (g / 2) % 2, k = g % 2;
    ql[64 * h + 32 * k + i] |= static_cast<unsigned char>((q & 0x0F) << (4 * n));
    qh[32 * h + i] |= static_cast<unsigned char>((q >> 4) << (2 * (g % 4)));
  }
}

std::uint16_t float_to_bf16(float f) {
  std::uint32_t u = std::bit_cast<std::uint32_t>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((u >> 16) | 64);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);                                                         // round to nearest even
  return static_cast<std::uint16_t>(u >> 16);
}

}  // namespace

std::optional<tensor_type> type_for(const std::vector<std::uint64_t>& dims, tensor_type type) {
  auto whole_blocks = [&dims](tensor_type t) { return dims[0] % layout_of(std::uint32_t(t))->block_elements == 0; };
  if (dims.size() != 2) return std::nullopt;
  if (whole_blocks(type)) return type;
  const bool k_quant = type == tensor_type::q4_k || type == tensor_type::q5_k || type == tensor_type::q6_k;
  if (k_quant && whole_blocks(tensor_type::q8_0)) return tensor_type::q8_0;
  return std::nullopt;
}

void quantize(tensor_type type, const float* x, unsigned char* out, std::uint64_t n) {
  switch (type) {
    case tensor_type::f32:
      std::memcpy(out, x, n * sizeof(float));
      return;
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
    case tensor_type::q4_k:
      for (std::uint64_t b = 0; b < n / kQK; ++b) q45_k(x + kQK * b, out + 144 * b, 15);
      return;
    case tensor_type::q5_k:
      for (std::uint64_t b = 0; b < n / kQK; ++b) q45_k(x + kQK * b, out + 176 * b, 31);
      return;
    case tensor_type::q6_k:
      for (std::uint64_t b = 0; b < n / kQK; ++b) q6_k(x + kQK * b, out + 210 * b);
      return;
  }
}

}  // namespace binserve::gguf
