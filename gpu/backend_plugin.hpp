// The boundary between binserve and a backend built as a run-time plugin
// (the CUDA backend: libbinserve_cuda.so, so programs that never use a GPU
// do not load the CUDA runtime and cuBLAS).
//
// A plugin exports one extern "C" factory of type backend_factory under the
// name kBackendFactorySymbol. It is compiled against the same headers as the
// program and resolves binserve's own symbols (kv_cache, sampler, backend's
// typeinfo) from the program, which exports them (-rdynamic). The plugin is
// loaded once and never unloaded: backends it made may live to the end.
#pragma once

#include <memory>

#include "gpu/backend.hpp"

namespace binserve {

// Writes into `out` a backend for `m` or the error (as make_backend documents).
using backend_factory = void (*)(const std::shared_ptr<const model>& m, const backend_options& options,
                                 status_or<std::unique_ptr<backend>>& out);

inline constexpr const char* kBackendFactorySymbol = "binserve_make_cuda_backend";

// File name of the CUDA plugin, looked for beside the running executable
// unless the environment variable BINSERVE_CUDA_LIBRARY names another path.
inline constexpr const char* kCudaPluginFile = "libbinserve_cuda.so";

// The CUDA plugin's factory, loading the plugin on the first call (later
// calls return the same factory; thread-safe). Errors: invalid_argument
// naming the path looked at, when the file is absent (a build without nvcc)
// or fails to load (dlerror's text), or lacks the factory symbol.
status_or<backend_factory> load_cuda_plugin();

}  // namespace binserve
