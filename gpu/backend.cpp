#include "gpu/backend.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
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
  for (size_t i = 0; i < params.size(); ++i) out[i] = sample_token(logits(static_cast<int>(i)), params[i], steps[i]);
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

status_or<std::int64_t> device_kv_cache_bytes(const model_config& config, int element_bytes, std::int64_t weight_bytes,
                                              std::int64_t free_bytes, std::int64_t total_bytes, double share) {
  const std::int64_t per_token = std::int64_t(2) * config.n_layers * config.kv_dim() * element_bytes;
  const auto in_share = static_cast<std::int64_t>(share * double(total_bytes)) - weight_bytes - kDeviceHeadroomBytes;
  const std::int64_t bytes = std::min({per_token * config.n_ctx * 256, in_share, free_bytes - kDeviceHeadroomBytes});
  if (bytes < per_token * config.n_ctx) {
    char share_text[32];
    std::snprintf(share_text, sizeof share_text, "%g", share);
    return status(error_code::out_of_memory,
                  "no room for a KV cache of one full-context sequence (" +
                      std::to_string((per_token * config.n_ctx) >> 20) + " MiB): device_memory_share " + share_text +
                      " of " + std::to_string(total_bytes >> 20) + " MiB less " + std::to_string(weight_bytes >> 20) +
                      " MiB of weights and " + std::to_string(kDeviceHeadroomBytes >> 20) +
                      " MiB of working memory leaves " + std::to_string(std::max<std::int64_t>(in_share, 0) >> 20) +
                      " MiB, and " + std::to_string(free_bytes >> 20) +
                      " MiB are free; raise backend.device_memory_share "
                      "or set backend.kv_cache_bytes");
  }
  return bytes;
}

namespace {

status_or<std::unique_ptr<backend>> make_backend_of_kind(std::shared_ptr<const model> m,
                                                         const backend_options& options) {
  switch (options.kind) {
    case backend_kind::cpu:
      return make_cpu_backend(std::move(m), options);
    case backend_kind::null:
      return make_null_backend(std::move(m), options);
    case backend_kind::cuda:
      break;
  }
  auto factory = load_cuda_plugin();
  if (!factory.ok()) return factory.error();
  status_or<std::unique_ptr<backend>> out = status(error_code::internal, "the CUDA plugin made nothing");
  (*factory)(m, options, out);
  return out;
}

}  // namespace

status_or<std::unique_ptr<backend>> make_backend(std::shared_ptr<const model> m, const backend_options& options) {
  const std::string source = m ? m->source : "";
  for (int l : options.state_layers)
    if (m && (l < 1 || l > m->config.n_layers))
      return status(error_code::invalid_argument, source + ": state layer " + std::to_string(l) + " is outside 1.." +
                                                      std::to_string(m->config.n_layers));
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
