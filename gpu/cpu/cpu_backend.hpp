// The CPU backend: fp32 Llama on the host, projections through OpenBLAS
// sgemm over the whole batch of tokens, attention and elementwise work on
// OpenMP threads. It is the reference every other backend is checked against.
#pragma once

#include <memory>

#include "gpu/backend.hpp"

namespace binserve {

// Uses m->weights, or generates dummy weights for a dummy model.
// Errors: out_of_memory when weights plus KV cache exceed the host's memory.
status_or<std::unique_ptr<backend>> make_cpu_backend(std::shared_ptr<const model> m,
                                                     const backend_options& options);

}  // namespace binserve
