// The CPU backend: Llama on the host, activations in fp32, weights in any type
// gpu/cpu/kernels.hpp multiplies. One OpenMP team per forward shares each
// step's outputs out (gpu/cpu/team.hpp). It is the reference every other
// backend is checked against.
#pragma once

#include <memory>

#include "gpu/backend.hpp"

namespace binserve {

// Uses m->weights, or generates dummy weights for a dummy model.
// Errors: out_of_memory when weights plus KV cache exceed the host's memory.
status_or<std::unique_ptr<backend>> make_cpu_backend(std::shared_ptr<const model> m, const backend_options& options);

}  // namespace binserve
