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
// Thread-safe: pure functions.
#pragma once

#include <cstdint>

#include "gpu/tensor_types.hpp"

namespace binserve::gguf {

// Whether `type` can be written here (the k-quants cannot yet).
bool can_quantize(tensor_type type);

// Writes the `n` values of `x` as `type` to `out` (n / block_elements
// blocks). Precondition: can_quantize(type) and n is a multiple of the
// type's block_elements.
void quantize(tensor_type type, const float* x, unsigned char* out, std::uint64_t n);

}  // namespace binserve::gguf
