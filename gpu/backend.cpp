#include "gpu/backend.hpp"

#include <unistd.h>

#include <algorithm>
#include <new>

#include "binserve/names.hpp"
#include "gpu/backend_plugin.hpp"
#include "gpu/cpu/cpu_backend.hpp"
#include "gpu/null_backend.hpp"

namespace binserve {

std::int64_t host_memory_bytes() { return std::int64_t(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE); }

status_or<std::vector<int>> backend::sample(std::span<const sampling_params> params,
                                            std::span<const std::uint64_t> steps) const {
  std::vector<int> out(params.size());
  for (size_t i = 0; i < params.size(); ++i)
    out[i] = sample_token(logits(static_cast<int>(i)), params[i], steps[i]);
  if (status h = health(); !h.ok()) return h;  // the logits were NaNs: no token
  return out;
}

status_or<double> backend::measure_memory_bandwidth() {
  return status(error_code::invalid_argument,
                "this backend has no device memory of its own to measure (use backend cuda)");
}

std::int64_t default_kv_cache_bytes(const model_config& config, int element_bytes) {
  const std::int64_t per_token = std::int64_t(2) * config.n_layers * config.kv_dim() * element_bytes;
  return std::min<std::int64_t>(std::int64_t(2) << 30, per_token * config.n_ctx * 256);
}

namespace {

status_or<std::unique_ptr<backend>> make_backend_of_kind(std::shared_ptr<const model> m,
                                                         const backend_options& options) {
  switch (options.kind) {
    case backend_kind::cpu: return make_cpu_backend(std::move(m), options);
    case backend_kind::null: return make_null_backend(std::move(m), options);
    case backend_kind::cuda: break;
  }
  auto factory = load_cuda_plugin();
  if (!factory.ok()) return factory.error();
  status_or<std::unique_ptr<backend>> out = status(error_code::internal, "the CUDA plugin made nothing");
  (*factory)(m, options, out);
  return out;
}

}  // namespace

status_or<std::unique_ptr<backend>> make_backend(std::shared_ptr<const model> m,
                                                 const backend_options& options) {
  const std::string source = m ? m->source : "";
  for (int l : options.state_layers)
    if (m && (l < 1 || l > m->config.n_layers))
      return status(error_code::invalid_argument, source + ": state layer " + std::to_string(l) +
                                                      " is outside 1.." + std::to_string(m->config.n_layers));
  // A host allocation that fails (dummy weights, the KV cache, tables) is
  // out_of_memory like a budget that does not fit: an error, never an abort.
  try {
    return make_backend_of_kind(std::move(m), options);
  } catch (const std::bad_alloc&) {
    return status(error_code::out_of_memory,
                  source + ": the " + name_of(options.kind) + " backend ran out of host memory (KV cache budget " +
                      std::to_string(options.kv_cache_bytes >> 20) + " MiB, 0: the default)");
  }
}

}  // namespace binserve
