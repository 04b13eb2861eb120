// Quantization of fp32 rows into ggml block types (gpu/tensor_types.hpp),
// the inverse of dequantize: what `binserve quantize` writes.
//
//   Q8_0  d = max|x| / 127, q = round(x / d) (halfway away from zero)
//   Q4_0  d = m / -8 where m is the value of largest magnitude (its sign
//         kept), q = min(15, trunc(x / d + 8.5))
//   F16, BF16, F32: rounded to nearest even
// Both block formats store d as a half, and the quants are computed from
// the fp32 d (1 / d, as llama.cpp's reference quantizer does), so a file
// quantized here is byte for byte the one llama.cpp's llama-quantize writes
// (`QuantizeGguf.*` checks it against ../shared/models/quant/).
//
//   Q4_K, Q5_K  each group of 32 gets the scale s and min m of the least-
//         squares fit x ~ s * q - m over a grid of level spacings, refined
//         by re-assigning levels; s and m are then coded in 6 bits against
//         the block's d = max s / 63 and dmin = max m / 63 (halves), and the
//         levels re-assigned to the coded values
//   Q6_K  the same fit without the min, groups of 16, levels [-32, 31],
//         scales coded as int8 against d = max |s| / 127
// These are binserve's own searches (llama.cpp's differ, with weights):
// `QuantizeGguf.KQuantsErrIsNoWorseThanLlamaCpps` holds their root-mean-square error
// to the F32 weights within 1.05x of llama-quantize's.
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "gpu/tensor_types.hpp"

namespace binserve::gguf {

// The type a tensor of `dims` (ggml order) is written in when a model's
// matrices are `type`: a matrix whose rows are whole blocks of it takes it;
// one whose rows are not whole super-blocks of a k-quant takes Q8_0 where
// they are whole blocks of 32 (as llama-quantize falls back to a 32-value
// block type, Q5_0 / Q5_1 / Q8_0, of which binserve reads Q8_0). nullopt for
// the rest (norms; other rows), which keep their own type.
std::optional<tensor_type> type_for(const std::vector<std::uint64_t>& dims, tensor_type type);

// Writes the `n` values of `x` as `type` to `out` (n / block_elements
// blocks). Precondition: n is a multiple of the
// type's block_elements.
void quantize(tensor_type type, const float* x, unsigned char* out, std::uint64_t n);

}  // namespace binserve::gguf
