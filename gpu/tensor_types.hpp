// The ggml tensor types binserve reads from GGUF files: their block layouts
// and their dequantization to fp32.
//
// A row of a quantized tensor is a run of blocks; each block holds
// `block_elements` values in `block_bytes` bytes (llama.cpp's ggml-quants
// formats, little-endian):
//
//   F32   1 value:  the float
//   F16   1 value:  IEEE half
//   BF16  1 value:  the high 16 bits of a float
//   Q8_0  32 values, 34 bytes: half d; int8 q[32]          x = d * q
//   Q4_0  32 values, 18 bytes: half d; u8 qs[16]           x = d * (nibble - 8);
//         value j < 16 is the low nibble of qs[j], value j + 16 its high one
//   Q4_K  256 values, 144 bytes: half d, dmin; u8 scales[12]; u8 qs[128].
//         8 groups of 32, each with a 6-bit scale sc and min m packed in
//         `scales`; x = (d * sc) * q - (dmin * m); group 2c takes the low
//         nibbles of qs[32c .. 32c + 31], group 2c + 1 the high ones
//   Q5_K  256 values, 176 bytes: as Q4_K, with u8 qh[32] between scales and
//         qs: bit g of qh[i] is the fifth bit of value i of group g
//   Q6_K  256 values, 210 bytes: u8 ql[128]; u8 qh[64]; int8 scales[16];
//         half d. 8 groups of 32 (g = 4h + 2n + k: ql[64h + 32k + i] nibble n,
//         bits 2(g mod 4) of qh[32h + i] above it), q - 32 scaled by
//         d * scales[element / 16]
//
// Every product is rounded to fp32 in the order written above, as the
// reference dequantizer (gguf-py) rounds it, so values match it exactly.
// Thread-safe: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace binserve::gguf {

// The ggml type ids (ggml.h's enum ggml_type) of the types binserve reads.
enum class tensor_type : std::uint32_t {
  f32 = 0,
  f16 = 1,
  q4_0 = 2,
  q8_0 = 8,
  q4_k = 12,
  q5_k = 13,
  q6_k = 14,
  bf16 = 30,
};

struct type_layout {
  std::uint64_t block_elements = 1;
  std::uint64_t block_bytes = 4;
};

// The layout of a type binserve reads; nullopt for any other ggml id.
std::optional<type_layout> layout_of(std::uint32_t id);

// "Q4_K", or the id with ggml's name when binserve does not read it:
// "3 (Q4_1)", "99".
std::string type_name(std::uint32_t id);

// The type binserve reads named `name` ("Q4_K", as type_name writes it);
// nullopt for any other name.
std::optional<tensor_type> type_named(const std::string& name);

// Q4_K / Q5_K: the 6-bit scale `sc` and min `m` of group g (0..7) from a
// block's 12 packed scale bytes: groups 0-3 in the low 6 bits of bytes g and
// g + 4; groups 4-7 in the nibbles of byte g + 4 plus the top 2 bits of
// bytes g - 4 and g.
void k_scale_min(const unsigned char* scales, int g, int& sc, int& m);

// IEEE binary16 <-> binary32. half_to_float is exact for every input (NaN
// payloads kept); float_to_half rounds to nearest even, overflow gives inf,
// as ggml's GGML_FP32_TO_FP16 does.
float half_to_float(std::uint16_t h);
std::uint16_t float_to_half(float f);

// Writes the `n` values stored in `src` as `type` to `dst`.
// Precondition: n is a multiple of the type's block_elements, and `src`
// holds n / block_elements blocks.
void dequantize(tensor_type type, const unsigned char* src, float* dst, std::uint64_t n);

}  // namespace binserve::gguf
