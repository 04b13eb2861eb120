// A node's model and the backends its executors run on, loaded and started
// the one way both a service (`binserve serve`, an embedder) and a worker node
// (`binserve worker`) do it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "actors/executor_actor.hpp"
#include "binserve/config.hpp"
#include "binserve/status.hpp"
#include "gpu/backend.hpp"
#include "gpu/model.hpp"

namespace binserve {

struct backend_set {
  std::shared_ptr<const model> m;
  backend_options options;                         // what each backend was made with
  std::vector<std::shared_ptr<backend>> backends;  // c.executors of them, one per executor
  executor_probe probe;                            // the executors' probe (predictor.probe_file)
  std::string fingerprint;                         // model_fingerprint(*m)
};

// Loads c.model (unless `loaded` holds it already), the executors' probe,
// and c.executors backends. The device memory share is split evenly over
// the backends on the device: these and `others_on_device` more (the
// embedding predictor's). Errors: load_model's (out_of_memory when the
// weights do not fit in host memory), the probe's, make_backend's.
status_or<backend_set> start_backends(const service_config& c, int others_on_device,
                                      std::shared_ptr<const model> loaded = nullptr);

}  // namespace binserve
