// A worker node: the model, one backend per executor, and the worker actor
// published on host:port through CAF's io middleman, for a coordinator
// (`binserve serve` with `workers:`) to run batches on. The process behind
// `binserve worker`.
//
// Thread-safe: start, port and stop may be called from any thread.
#pragma once

#include <memory>
#include <string>

#include "binserve/config.hpp"
#include "binserve/status.hpp"

namespace binserve {

class worker_node {
 public:
  // Loads config.model, creates config.executors backends (config.backend,
  // threads, device, kv_cache_bytes, dtype) and publishes the worker actor on
  // host:port (0: any free port). Errors: config_invalid (a value
  // config/config_rules.hpp refuses, or fewer than 1 executor), those of
  // load_model and make_backend; io_error when the port cannot be bound.
  static status_or<std::unique_ptr<worker_node>> start(const service_config& config, const std::string& host, int port);

  ~worker_node();  // stop()
  worker_node(const worker_node&) = delete;
  worker_node& operator=(const worker_node&) = delete;

  int port() const;                        // the bound port
  const std::string& fingerprint() const;  // model_fingerprint() of its model

  // Stops the worker actor and its executors, closing its connections. Idempotent.
  void stop();

 private:
  struct impl;
  explicit worker_node(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace binserve
