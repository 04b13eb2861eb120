// The CPU backend's matrix kernels: y = x @ W^T for a weight matrix W stored
// in any type binserve reads (gpu/tensor_types.hpp), straight from its blocks.
//
// One contract makes batching invisible: every output y[r][o] is computed by
// one fixed sequence of floating-point operations on (row r of x, row o of W),
// the same whatever the batch size, thread count, tile shape or instruction
// set. So a batch computes exactly the values of each row alone, and every
// SIMD kernel must equal the scalar one bit for bit (tests/gpu/cpu_kernels_test).
//
// That sequence, per weight type, for one row pair of length n:
//
//   F32, F16, BF16 (x in fp32; a weight widened to fp32 exactly):
//     8 lanes: lane j accumulates fma(w[k], x[k], lane_j) for k = j, j + 8, ...
//     below n8 = n - n % 8, from 0; then the tree: s_i = l_i + l_{i+4}
//     (i < 4), t_i = s_i + s_{i+2} (i < 2), y = t_0 + t_1; then
//     y = fma(w[k], x[k], y) for the tail k = n8 .. n - 1.
//   Q8_0, Q4_0 (x quantized per 32 values: q8_block; Q4_0's wq = nibble - 8):
//     8 lanes: per block b in order, lane j takes the exact integer
//     p_j = sum of wq_i * xq_i over i = 4j .. 4j + 3 and accumulates
//     fma(dw_b * dx_b, float(p_j), lane_j); then the same tree gives y.
//   Q4_K, Q5_K (x quantized per 256 values: q8k_block), per super-block:
//     isum = sum_g sc_g * sum_{i in g} q_i * xq_i and msum = sum_g m_g * (sum of
//     xq over group g), exact integers; then y = fma(d * dx, float(isum), y),
//     y = fma(-(dmin * dx), float(msum), y).
//   Q6_K (q8k_block), per super-block: isum = sum_s sc_s * sum_{i in s} (q_i -
//     32) * xq_i over its 16 sub-blocks of 16, exact; y = fma(d * dx, float(isum), y).
//
// The integer sums cannot overflow int32 (at most 2^27 for Q6_K), so SIMD
// kernels may form them in any order. Thread-safe: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "binserve/status.hpp"
#include "gpu/tensor_types.hpp"

namespace binserve::cpu {

// x ~= d * q over 32 values.
struct q8_block {
  float d;
  std::int8_t q[32];
};

// x ~= d * q over 256 values; bsums[s] = sum of q[16 s .. 16 s + 15].
struct q8k_block {
  float d;
  std::int16_t bsums[16];
  std::int8_t q[256];
};

// The activation format a weight type multiplies: fp32 rows (F32, F16, BF16),
// or rows of q8_block (Q8_0, Q4_0) or q8k_block (k-quants).
enum class activation_format { f32, q8, q8k };
activation_format activation_format_of(gguf::tensor_type w);

// Bytes one activation row of n values takes in that format.
std::size_t activation_row_bytes(activation_format f, int n);

// Quantizes one row of n values (n a multiple of 32, resp. 256): d = amax /
// 127 and q = round(x * (1 / d)) (q8), or as llama.cpp's Q8_K: d =
// -amax_signed / 128, q = min(127, round(x * (-128 / amax_signed))) (q8k);
// round: to nearest, ties to even. One scalar definition: activations are
// O(n) next to the matmul's O(n * outputs).
void quantize_row_q8(const float* x, q8_block* out, int n);
void quantize_row_q8k(const float* x, q8k_block* out, int n);

// One weight matrix W [out, in] of `type`: `row_bytes` apart from `data`.
struct matrix_view {
  gguf::tensor_type type;
  const unsigned char* data;
  std::size_t row_bytes;
  int in;
};

// y[r * y_stride + o] = dot(W row o, x row r) for o in [o_begin, o_end) and
// r < rows, in the order stated above; x rows are `x_row_bytes` apart in the
// format activation_format_of(w.type).
using matmul_kernel = void (*)(const matrix_view& w, int o_begin, int o_end, const void* x, std::size_t x_row_bytes,
                               int rows, float* y, int y_stride);

// Kernels by instruction set. `scalar` runs anywhere and defines the results;
// avx2 needs AVX2, FMA and F16C; avx512 also AVX-512 F, VL, BW and VNNI.
enum class isa { scalar, avx2, avx512 };
const char* isa_name(isa i);
bool cpu_supports(isa i);  // this CPU runs it
isa best_isa();            // the widest supported

// The instruction set the CPU backend uses: best_isa(), or the one the
// environment variable BINSERVE_CPU_KERNELS names (scalar, avx2, avx512), to
// compare them or to run as a CPU without the wider ones would. Read at each
// call. invalid_argument when it names another set or one this CPU lacks.
status_or<isa> chosen_isa();

// The kernel for weights of `type` in instruction set `i` (cpu_supports(i)).
matmul_kernel kernel_for(gguf::tensor_type type, isa i);

// Attention's two loops over the positions of one head, in instruction set
// `i`: position t's key (value) row starts t * stride floats after k (v).
struct attention_kernels {
  // s[t] = dot(q, k_t, n) * scale for t < count, the dot in the F32
  // contract's order above.
  void (*scores)(const float* q, const float* k, std::size_t stride, int count, int n, float scale, float* s);
  // y[j] = fma(p[t], v_t[j], y[j]) for t = 0, 1, .., count - 1 in turn, j < n.
  void (*mix)(const float* p, const float* v, std::size_t stride, int count, int n, float* y);
};
attention_kernels attention_kernels_for(isa i);

namespace detail {
attention_kernels scalar_attention_kernels();
attention_kernels avx2_attention_kernels();
matmul_kernel scalar_kernel(gguf::tensor_type type);
matmul_kernel avx2_kernel(gguf::tensor_type type);
matmul_kernel avx512_kernel(gguf::tensor_type type);
}  // namespace detail

}  // namespace binserve::cpu
