// The CPU kernels' contract (gpu/cpu/kernels.hpp) for every weight type:
//   (a) every instruction set this CPU runs gives the scalar kernel's y bit
//       for bit, for any output range and batch; a batch equals its rows alone;
//   (b) the scalar y is close to a double-precision dot of the dequantized
//       weights (gguf::dequantize) with x, and very close to the one with the
//       dequantized activations d * q;
//   (c) activation quantization keeps its stated sums and error bounds.
// Weights are quantized from random fp32 rows by gguf::quantize, and for (a)
// also random block bytes (every quant, scale and min bit pattern); weight
// rows start at odd addresses, as in a memory-mapped file.
#include "gpu/cpu/kernels.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gpu/quantize.hpp"

namespace binserve::cpu {
namespace {

using gguf::tensor_type;

const tensor_type kTypes[] = {tensor_type::f32,  tensor_type::f16,  tensor_type::bf16, tensor_type::q8_0,
                              tensor_type::q4_0, tensor_type::q4_k, tensor_type::q5_k, tensor_type::q6_k};
constexpr int kOut = 13;  // a multiple of no tile
const int kRows[] = {1, 5, 16};

std::string name(tensor_type t) { return gguf::type_name(std::uint32_t(t)); }

// Row lengths per type: 512, and one exercising the tail (8-lane float
// kernels) or an odd number of blocks.
std::vector<int> lengths(tensor_type t) {
  switch (activation_format_of(t)) {
    case activation_format::f32:
      return {512, 172, 5};
    case activation_format::q8:
      return {512, 224};
    case activation_format::q8k:
      return {512, 768};
  }
  return {};
}

// The instruction sets besides scalar that this CPU and build run.
std::vector<isa> simd_isas() {
  std::vector<isa> out;
  std::string names = "scalar";
  for (isa i : {isa::avx2, isa::avx512})
    if (cpu_supports(i)) {
      out.push_back(i);
      names += std::string(", ") + isa_name(i);
    }
  std::printf("[   INFO   ] kernels on this CPU: %s%s\n", names.c_str(), out.empty() ? " only (no AVX2+FMA+F16C)" : "");
  return out;
}

// Random fp32 values in groups of 32 with their own scale and offset, so a
// k-quant's 6-bit scales and mins take many values.
std::vector<float> random_values(std::mt19937& rng, std::size_t n) {
  std::uniform_real_distribution<float> unit(-1, 1), exponent(-4, 1);
  std::vector<float> v(n);
  for (std::size_t g = 0; g < n; g += 32) {
    const float scale = std::exp2(exponent(rng)), offset = 0.5f * scale * unit(rng);
    for (std::size_t i = g; i < n && i < g + 32; ++i) v[i] = scale * unit(rng) + offset;
  }
  return v;
}

// W [kOut, in] of `type`, rows `row_bytes` apart from an odd address.
struct weights {
  tensor_type type;
  int in = 0;
  std::size_t row_bytes = 0;
  std::vector<unsigned char> bytes;  // 1 byte before the first row
  std::vector<float> values;         // dequantized, [kOut, in]
  matrix_view view() const { return {type, bytes.data() + 1, row_bytes, in}; }
};

std::size_t encoded_bytes(tensor_type t, int n) {
  const gguf::type_layout l = *gguf::layout_of(std::uint32_t(t));
  return n / l.block_elements * l.block_bytes;
}

// Overwrites every block's half scales (d; and dmin) with finite values.
void sane_halves(std::mt19937& rng, tensor_type t, unsigned char* row, int in) {
  const gguf::type_layout l = *gguf::layout_of(std::uint32_t(t));
  std::vector<int> at = {0};
  if (t == tensor_type::q4_k || t == tensor_type::q5_k) at = {0, 2};
  if (t == tensor_type::q6_k) at = {208};
  std::uniform_real_distribution<float> d(-0.05f, 0.05f);
  for (std::uint64_t b = 0; b < in / l.block_elements; ++b)
    for (int offset : at) {
      const std::uint16_t h = gguf::float_to_half(d(rng));
      std::memcpy(row + b * l.block_bytes + offset, &h, 2);
    }
}

// Quantized from random values, or (random_bytes, quantized types only)
// random blocks with finite scales.
weights make_weights(tensor_type type, int in, bool random_bytes, unsigned seed) {
  std::mt19937 rng(seed);
  weights w{type, in, encoded_bytes(type, in) + 7, {}, std::vector<float>(std::size_t(kOut) * in)};
  w.bytes.assign(1 + kOut * w.row_bytes, 0);
  for (int o = 0; o < kOut; ++o) {
    unsigned char* row = w.bytes.data() + 1 + o * w.row_bytes;
    if (random_bytes) {
      for (std::size_t i = 0; i < encoded_bytes(type, in); ++i) row[i] = static_cast<unsigned char>(rng());
      sane_halves(rng, type, row, in);
    } else {
      gguf::quantize(type, random_values(rng, in).data(), row, in);
    }
    gguf::dequantize(type, row, w.values.data() + std::size_t(o) * in, in);
  }
  return w;
}

// `rows` activation rows of `in` values: fp32 x and its encoding in the
// weight type's format, rows `row_bytes` apart (8 bytes of padding).
struct activations {
  activation_format format;
  int in = 0;
  std::size_t row_bytes = 0;
  std::vector<float> x;              // [rows, in]
  std::vector<unsigned char> bytes;  // [rows, row_bytes]
  const unsigned char* row(int r) const { return bytes.data() + r * row_bytes; }
};

activations make_activations(tensor_type type, int in, int rows, unsigned seed) {
  std::mt19937 rng(seed);
  const activation_format f = activation_format_of(type);
  activations a{f, in, activation_row_bytes(f, in) + 8, random_values(rng, std::size_t(rows) * in), {}};
  a.bytes.assign(rows * a.row_bytes, 0);
  for (int r = 0; r < rows; ++r) {
    const float* x = a.x.data() + std::size_t(r) * in;
    unsigned char* out = a.bytes.data() + r * a.row_bytes;
    if (f == activation_format::f32) std::memcpy(out, x, in * sizeof(float));
    if (f == activation_format::q8) quantize_row_q8(x, reinterpret_cast<q8_block*>(out), in);
    if (f == activation_format::q8k) quantize_row_q8k(x, reinterpret_cast<q8k_block*>(out), in);
  }
  return a;
}

// Activation row r as the kernels see it: value i is d * q (or x itself),
// and `step` the most activation quantization can move it.
void dequantized_row(const activations& a, int r, std::vector<double>& value, std::vector<double>& step) {
  value.assign(a.in, 0);
  step.assign(a.in, 0);
  for (int i = 0; i < a.in; ++i) {
    if (a.format == activation_format::f32) {
      value[i] = a.x[std::size_t(r) * a.in + i];
    } else if (a.format == activation_format::q8) {
      const q8_block& b = reinterpret_cast<const q8_block*>(a.row(r))[i / 32];
      value[i] = double(b.d) * b.q[i % 32];
      step[i] = std::fabs(b.d) / 2;
    } else {  // a value clamped to 127 can be a whole step off
      const q8k_block& b = reinterpret_cast<const q8k_block*>(a.row(r))[i / 256];
      value[i] = double(b.d) * b.q[i % 256];
      step[i] = std::fabs(b.d);
    }
  }
}

constexpr float kUnwritten = -1234.5f;

// y [rows, kOut + 3] from `kernel` over outputs [o_begin, o_end); the rest kUnwritten.
std::vector<float> run(matmul_kernel kernel, const weights& w, const activations& a, int o_begin, int o_end, int rows) {
  const int stride = kOut + 3;
  std::vector<float> y(std::size_t(rows) * stride, kUnwritten);
  kernel(w.view(), o_begin, o_end, a.bytes.data(), a.row_bytes, rows, y.data(), stride);
  return y;
}

// Equal bit patterns (y [rows, kOut + 3]); else the first y that differs.
::testing::AssertionResult same_bits(const std::vector<float>& got, const std::vector<float>& want) {
  if (got.size() != want.size()) return ::testing::AssertionFailure() << "sizes differ";
  for (std::size_t i = 0; i < got.size(); ++i)
    if (std::memcmp(&got[i], &want[i], sizeof(float)) != 0)
      return ::testing::AssertionFailure() << "y[" << i / (kOut + 3) << "][" << i % (kOut + 3) << "] is " << got[i]
                                           << ", want " << want[i] << " (bits differ)";
  return ::testing::AssertionSuccess();
}

// Whether y [rows, kOut + 3] holds kUnwritten outside outputs [o_begin, o_end).
bool only_range_written(const std::vector<float>& y, int o_begin, int o_end) {
  for (std::size_t i = 0; i < y.size(); ++i) {
    const int o = int(i % (kOut + 3));
    if ((o < o_begin || o >= o_end) && y[i] != kUnwritten) return false;
  }
  return true;
}

TEST(CpuKernels, EveryInstructionSetHasAKernelForEveryType) {
  for (tensor_type t : kTypes)
    for (isa i : {isa::scalar, isa::avx2, isa::avx512})
      if (cpu_supports(i)) EXPECT_NE(kernel_for(t, i), nullptr) << name(t) << " " << isa_name(i);
}

// (a) Output ranges: all, the first, a middle run, the last, none.
TEST(CpuKernels, EverySupportedIsaEqualsScalarBitForBit) {
  const std::vector<isa> isas = simd_isas();
  if (isas.empty()) GTEST_SKIP() << "skipped: this CPU runs no SIMD kernel (needs AVX2, FMA, F16C), nothing to compare";
  const int ranges[][2] = {{0, kOut}, {0, 1}, {3, 11}, {kOut - 1, kOut}, {4, 4}};
  int compared = 0;
  for (tensor_type t : kTypes)
    for (int in : lengths(t))
      for (bool random_bytes : {false, true}) {
        if (random_bytes && activation_format_of(t) == activation_format::f32) continue;
        const weights w = make_weights(t, in, random_bytes, 11 * in + int(t));
        const activations a = make_activations(t, in, 16, 7 * in + int(t));
        for (int rows : kRows)
          for (const auto& range : ranges) {
            const std::vector<float> want = run(kernel_for(t, isa::scalar), w, a, range[0], range[1], rows);
            EXPECT_TRUE(only_range_written(want, range[0], range[1])) << name(t);
            for (isa i : isas) {
              ++compared;
              EXPECT_TRUE(same_bits(run(kernel_for(t, i), w, a, range[0], range[1], rows), want))
                  << name(t) << " in " << in << (random_bytes ? " random bytes" : "") << " rows " << rows
                  << " outputs [" << range[0] << ", " << range[1] << ") " << isa_name(i);
            }
          }
      }
  EXPECT_GT(compared, 0);
}

// Attention's loops: every isa gives the scalar scores and mix bit for bit
// (head sizes with and without an 8-lane tail, position counts with and
// without a 4-position tail, rows `stride` apart); a scalar score is the F32
// matmul kernel's dot of the same rows times the scale, and mix is the
// plain sequence of fmas.
TEST(CpuKernels, AttentionKernelsEqualScalarBitForBit) {
  const std::vector<isa> isas = simd_isas();
  if (isas.empty()) GTEST_SKIP() << "skipped: this CPU runs no SIMD kernel (needs AVX2, FMA, F16C), nothing to compare";
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const attention_kernels scalar = attention_kernels_for(isa::scalar);
  const float scale = 0.125f;
  int compared = 0;
  for (int n : {3, 48, 64, 100, 128})
    for (int count : {1, 3, 4, 9, 16}) {
      const std::size_t stride = n + 5;
      std::vector<float> q(n), kv(count * stride), p(count), y0(n);
      for (float& f : q) f = u(rng);
      for (float& f : kv) f = u(rng);
      for (float& f : p) f = u(rng);
      for (float& f : y0) f = u(rng);
      std::vector<float> want(count);
      scalar.scores(q.data(), kv.data(), stride, count, n, scale, want.data());
      for (int t = 0; t < count; ++t) {
        const matrix_view w{tensor_type::f32, reinterpret_cast<const unsigned char*>(&kv[t * stride]),
                            n * sizeof(float), n};
        float dot = 0;
        kernel_for(tensor_type::f32, isa::scalar)(w, 0, 1, q.data(), n * sizeof(float), 1, &dot, 1);
        EXPECT_EQ(want[t], dot * scale) << n << " " << t;
      }
      std::vector<float> want_mix = y0;
      scalar.mix(p.data(), kv.data(), stride, count, n, want_mix.data());
      for (int j = 0; j < n; ++j) {
        float a = y0[j];
        for (int t = 0; t < count; ++t) a = std::fma(p[t], kv[t * stride + j], a);
        EXPECT_EQ(want_mix[j], a) << n << " " << j;
      }
      for (isa i : isas) {
        const attention_kernels k = attention_kernels_for(i);
        std::vector<float> got(count);
        k.scores(q.data(), kv.data(), stride, count, n, scale, got.data());
        EXPECT_EQ(std::memcmp(got.data(), want.data(), count * sizeof(float)), 0)
            << isa_name(i) << " scores, n " << n << " count " << count;
        std::vector<float> got_mix = y0;
        k.mix(p.data(), kv.data(), stride, count, n, got_mix.data());
        EXPECT_EQ(std::memcmp(got_mix.data(), want_mix.data(), n * sizeof(float)), 0)
            << isa_name(i) << " mix, n " << n << " count " << count;
        ++compared;
      }
    }
  EXPECT_GT(compared, 0);
}

// (a) Batching is invisible: y of 16 rows at once = y of each row alone, in every isa.
TEST(CpuKernels, ABatchEqualsEachRowAlone) {
  std::vector<isa> isas = simd_isas();
  isas.insert(isas.begin(), isa::scalar);
  const int stride = kOut + 3, rows = 16;
  for (tensor_type t : kTypes)
    for (int in : lengths(t)) {
      const weights w = make_weights(t, in, false, 13 * in + int(t));
      const activations a = make_activations(t, in, rows, 5 * in + int(t));
      for (isa i : isas) {
        const matmul_kernel k = kernel_for(t, i);
        const std::vector<float> batch = run(k, w, a, 0, kOut, rows);
        std::vector<float> alone(batch.size(), kUnwritten);
        for (int r = 0; r < rows; ++r) k(w.view(), 0, kOut, a.row(r), a.row_bytes, 1, &alone[r * stride], stride);
        EXPECT_TRUE(same_bits(batch, alone)) << name(t) << " in " << in << " " << isa_name(i);
      }
    }
}

// Sums over one (weight row, activation row) pair, in double.
struct reference {
  double with_x = 0;         // sum w x, x the fp32 activations
  double with_deq = 0;       // sum w xd, xd the dequantized activations
  double magnitude = 0;      // sum |w x|
  double magnitude_deq = 0;  // sum |w xd|
  double bound = 0;          // sum |w| * step: the most activation rounding can move y
};

reference reference_dot(const float* w, const float* x, const std::vector<double>& xd, const std::vector<double>& step,
                        int n) {
  reference s;
  for (int i = 0; i < n; ++i) {
    s.with_x += double(w[i]) * x[i];
    s.with_deq += double(w[i]) * xd[i];
    s.magnitude += std::fabs(double(w[i]) * x[i]);
    s.magnitude_deq += std::fabs(double(w[i]) * xd[i]);
    s.bound += std::fabs(double(w[i])) * step[i];
  }
  return s;
}

// (b) Tolerances, relative to sum |w x|:
//  - against the dequantized activations xd = d * q: 1e-5. Only float
//    rounding is left: the float kernels' 8-lane fma sums (at most 512 / 8 + 3
//    roundings of 2^-24 ~ 4e-6), or per block the rounding of d_w * d_x,
//    float(isum) and one accumulating fma (block sums of at most 24 blocks).
//  - against the fp32 x: activation rounding moves value i by at most
//    step_i = |d| / 2 = amax / 254 (q8), |d| / 2 = amax / 256 for q8k except
//    a value clamped to 127 (a whole step), so |y - ref| <= sum |w_i| step_i
//    (checked exactly), and with these x, whose |x| averages amax / 2, that is
//    at most ~1 / 127 ~ 0.8% of sum |w x| even with every error of one sign:
//    2% is checked, with room for the spread of |x|.
TEST(CpuKernels, ScalarIsCloseToADoublePrecisionDot) {
  const int rows = 5;
  std::vector<double> xd, step;
  for (tensor_type t : kTypes)
    for (int in : lengths(t)) {
      const weights w = make_weights(t, in, false, 17 * in + int(t));
      const activations a = make_activations(t, in, rows, 19 * in + int(t));
      const std::vector<float> y = run(kernel_for(t, isa::scalar), w, a, 0, kOut, rows);
      double worst_deq = 0, worst_x = 0;
      for (int r = 0; r < rows; ++r) {
        dequantized_row(a, r, xd, step);
        for (int o = 0; o < kOut; ++o) {
          const reference s = reference_dot(&w.values[std::size_t(o) * in], &a.x[std::size_t(r) * in], xd, step, in);
          const double got = y[r * (kOut + 3) + o], slack = 1e-5 * s.magnitude_deq;
          const std::string where =
              name(t) + " in " + std::to_string(in) + " y[" + std::to_string(r) + "][" + std::to_string(o) + "]";
          EXPECT_LE(std::fabs(got - s.with_deq), slack) << where << ": " << got << " vs " << s.with_deq;
          EXPECT_LE(std::fabs(got - s.with_x), s.bound + slack) << where << ": " << got << " vs " << s.with_x;
          EXPECT_LE(std::fabs(got - s.with_x), 0.02 * s.magnitude + slack) << where;
          worst_deq = std::fmax(worst_deq, std::fabs(got - s.with_deq) / s.magnitude_deq);
          worst_x = std::fmax(worst_x, std::fabs(got - s.with_x) / s.magnitude);
        }
      }
      std::printf("[   INFO   ] %-4s in %3d: |y - ref(d q)| <= %.1e, |y - ref(x)| <= %.1e of sum |w x|\n",
                  name(t).c_str(), in, worst_deq, worst_x);
    }
}

// Blocks of different scales and signs, one all zero: 8 blocks of 32 / 2 of 256.
std::vector<float> quantizer_input(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<float> x = random_values(rng, n);
  for (int i = 32; i < 64; ++i) x[i] = 0;
  for (int i = 64; i < 128; ++i) x[i] = std::fabs(x[i]) * 1000;
  for (int i = 256 + 32; i < 256 + 64; ++i) x[i] = -std::fabs(x[i]) * 1e-3f;
  return x;
}

// (c) q in [-127, 127], |x - d q| <= |d| / 2 (+ the rounding of 1 / d and
// x / d: 1e-4 of a step); an all-zero block has d = 0, q = 0.
TEST(CpuKernels, QuantizeRowQ8KeepsItsBounds) {
  const int n = 512;
  const std::vector<float> x = quantizer_input(n, 3);
  std::vector<q8_block> blocks(n / 32);
  quantize_row_q8(x.data(), blocks.data(), n);
  for (int b = 0; b < n / 32; ++b) {
    const q8_block& q = blocks[b];
    for (int i = 0; i < 32; ++i) {
      const double v = x[32 * b + i];
      EXPECT_GE(q.q[i], -127) << b;
      EXPECT_LE(std::fabs(v - double(q.d) * q.q[i]), std::fabs(q.d) * (0.5 + 1e-4)) << b << " " << i;
    }
    if (b == 1) {  // the all-zero block
      EXPECT_EQ(q.d, 0.0f);
      for (int i = 0; i < 32; ++i) EXPECT_EQ(q.q[i], 0) << i;
    }
  }
}

// (c) q in [-128, 127] with the value of largest magnitude at -128 (d takes
// its opposite sign), |x - d q| <= |d| / 2 except a value clamped to 127
// (<= |d|), bsums = sums of q over 16; an all-zero block has d = 0, q = 0.
TEST(CpuKernels, QuantizeRowQ8kKeepsItsBounds) {
  const int n = 768;
  std::vector<float> x = quantizer_input(n, 4);
  for (int i = 512; i < 768; ++i) x[i] = 0;
  std::vector<q8k_block> blocks(n / 256);
  quantize_row_q8k(x.data(), blocks.data(), n);
  for (int b = 0; b < n / 256; ++b) {
    const q8k_block& q = blocks[b];
    int largest = 0;
    for (int i = 0; i < 256; ++i) {
      const double v = x[256 * b + i], step = std::fabs(q.d);
      EXPECT_LE(std::fabs(v - double(q.d) * q.q[i]), step * (q.q[i] == 127 ? 1 + 1e-4 : 0.5 + 1e-4)) << b << " " << i;
      if (std::fabs(v) > std::fabs(x[256 * b + largest])) largest = i;
    }
    for (int s = 0; s < 16; ++s) {
      int sum = 0;
      for (int i = 0; i < 16; ++i) sum += q.q[16 * s + i];
      EXPECT_EQ(q.bsums[s], sum) << b << " " << s;
    }
    if (b < 2) {
      EXPECT_EQ(q.q[largest], -128) << b;
    } else {  // the all-zero block
      EXPECT_EQ(q.d, 0.0f);
      for (int i = 0; i < 256; ++i) EXPECT_EQ(q.q[i], 0) << i;
    }
  }
}

}  // namespace
}  // namespace binserve::cpu
