// A backend that computes nothing: `forward` only does the KV bookkeeping
// and `sample` always returns token `kNullToken`. It measures the actor
// runtime's own overhead (and tests it) without model cost.
#pragma once

#include <memory>

#include "gpu/backend.hpp"

namespace binserve {

// The token the null backend always samples: never a stop token of a dummy
// vocabulary (the first synthetic piece).
constexpr int kNullToken = 259;

// Errors: invalid_argument when the model's vocabulary lacks kNullToken.
status_or<std::unique_ptr<backend>> make_null_backend(std::shared_ptr<const model> m, const backend_options& options);

}  // namespace binserve
