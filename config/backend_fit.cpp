#include "config/backend_fit.hpp"

#include "binserve/names.hpp"
#include "gpu/backend.hpp"
#include "gpu/null_backend.hpp"
#include "predict/make_predictor.hpp"

namespace binserve {
namespace {

std::string mib(std::int64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

// Memory of every CPU backend of the deployment: each executor's own
// weights (a dummy model's; a real model's are loaded once and shared) and
// KV cache `kv`, the embedding predictor's (one full-context sequence of
// cache, as service.cpp sizes it), and the shared weights once.
status check_host_memory(const located_deployment& d, const model& m, const kv_layout& kv,
                         std::int64_t predictor_kv_bytes) {
  const service_config& c = d.config.service;
  const std::int64_t host = host_memory_bytes(), usable = host * 9 / 10;
  const std::int64_t own_weights = m.is_dummy() ? m.config.n_params() * 4 : 0;
  const std::int64_t per_executor = own_weights + kv.bytes();
  if (own_weights > usable)
    return d.marks.error("model.dummy", "the CPU backend generates " + mib(own_weights) +
                                            " of weights per executor but the host has " + mib(host));
  if (c.executors > 0 && per_executor > usable)
    return d.marks.error("backend.kv_cache_bytes", "the CPU backend needs " + mib(per_executor) + " (weights " +
                                                       mib(own_weights) + " + KV cache " + mib(kv.bytes()) +
                                                       ") but the host has " + mib(host));
  const std::int64_t shared_weights = m.is_dummy() ? 0 : m.config.n_params() * 4;
  const std::int64_t predictor = predictor_kv_bytes > 0 ? own_weights + predictor_kv_bytes : 0;
  const std::int64_t total = c.executors * per_executor + predictor + shared_weights;
  if (total <= usable) return status::ok_status();
  std::string parts = std::to_string(c.executors) + " CPU executors of " + mib(per_executor) + " (weights " +
                      mib(own_weights) + " + KV cache " + mib(kv.bytes()) + ")";
  if (shared_weights > 0) parts += " + the model's weights " + mib(shared_weights);
  if (predictor > 0) parts += " + the embedding predictor's backend " + mib(predictor);
  return d.marks.error("executors", parts + " need " + mib(total) + ", over 90% of the host's " + mib(host) +
                                        "; lower executors or backend.kv_cache_bytes");
}

}  // namespace

status check_backend_fit(const located_deployment& d, const model& m) {
  const service_config& c = d.config.service;
  const bool embedding = uses_embedding(c.predictor);
  if (c.executors == 0 && !embedding) return status::ok_status();  // no local backend is made
  if (c.backend == backend_kind::cpu && c.dtype != data_type::fp32)
    return d.marks.error("model.dtype", "the cpu backend computes in fp32, not " + name_of(c.dtype) +
                                            " (fp16 and bf16 need backend.kind cuda)");
  if (c.backend == backend_kind::null && m.config.vocab_size <= kNullToken)
    return d.marks.error("backend.kind", "the null backend needs a vocabulary above " + std::to_string(kNullToken) +
                                             " tokens (the model has " + std::to_string(m.config.vocab_size) + ")");
  if (c.backend == backend_kind::cuda && c.kv_cache_bytes == 0) return status::ok_status();
  const int element_bytes = c.backend == backend_kind::cuda && c.dtype != data_type::fp32 ? 2 : 4;
  const int block = backend_options{}.kv_block_size;
  const std::int64_t budget = c.kv_cache_bytes > 0 ? c.kv_cache_bytes : default_kv_cache_bytes(m.config, 4);
  auto kv = kv_layout::plan(m.config, budget, element_bytes, block);
  if (c.executors > 0 && !kv.ok()) return d.marks.error("backend.kv_cache_bytes", kv.error().message());
  if (c.backend == backend_kind::cuda) return status::ok_status();  // device memory: known at start only
  std::int64_t predictor_kv_bytes = 0;
  if (embedding) {
    const std::int64_t per_token = std::int64_t(2) * m.config.n_layers * m.config.kv_dim() * 4;
    auto p = kv_layout::plan(m.config, per_token * m.config.n_ctx, 4, block);
    if (!p.ok()) return d.marks.error("predictor.kind", "the embedding predictor's backend: " + p.error().message());
    predictor_kv_bytes = p->bytes();
  }
  if (c.backend != backend_kind::cpu) return status::ok_status();  // null: no weights, no cache memory
  return check_host_memory(d, m, kv.ok() ? *kv : kv_layout{}, predictor_kv_bytes);
}

}  // namespace binserve
