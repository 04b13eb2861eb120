// A model's fingerprint: what a coordinator and its worker nodes compare
// before they share requests, so that a worker serving another model (or
// other weights) is refused instead of answering with other text.
#pragma once

#include <string>

#include "gpu/model.hpp"

namespace binserve {

// 16 hex digits of a 64-bit FNV-1a hash over the model's shape, vocabulary
// (pieces, scores, special ids), stop tokens, dummy seed, and its weights:
// every weight of a model up to 1M parameters, else 1M evenly strided ones
// (the size is hashed too), so hashing a 7B model stays fast.
std::string model_fingerprint(const model& m);

}  // namespace binserve
