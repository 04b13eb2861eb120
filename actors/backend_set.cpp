#include "actors/backend_set.hpp"

#include <algorithm>
#include <new>

#include "actors/model_fingerprint.hpp"

namespace binserve {

namespace {

status_or<std::shared_ptr<const model>> load(const service_config& c) {
  try {
    auto m = load_model(c.model, model_options{c.tokenizer, c.stop_tokens, c.model_format});
    if (!m.ok()) return m.error();
    return std::make_shared<const model>(std::move(*m));
  } catch (const std::bad_alloc&) {  // an error value, never an abort (make_backend does the same)
    return status(error_code::out_of_memory, c.model + ": the model's weights do not fit in host memory");
  }
}

}  // namespace

status_or<backend_set> start_backends(const service_config& c, int others_on_device,
                                      std::shared_ptr<const model> loaded) {
  if (!loaded) {
    auto m = load(c);
    if (!m.ok()) return m.error();
    loaded = std::move(*m);
  }
  backend_set out;
  out.m = std::move(loaded);
  out.options = {.kind = c.backend,
                 .threads = c.threads,
                 .device = c.device,
                 .dtype = c.dtype,
                 .kv_cache_bytes = c.kv_cache_bytes,
                 .device_memory_share = c.device_memory_share / std::max(1, c.executors + others_on_device)};
  auto probe = load_executor_probe(c.predictor, out.m->config);
  if (!probe.ok()) return probe.error();
  if (probe->probe) out.options.state_layers = probe->probe->layers();
  out.probe = std::move(*probe);
  for (int e = 0; e < c.executors; ++e) {
    auto b = make_backend(out.m, out.options);
    if (!b.ok()) return b.error();
    out.backends.push_back(std::move(*b));
  }
  out.fingerprint = model_fingerprint(*out.m);
  return out;
}

}  // namespace binserve
