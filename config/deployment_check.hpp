// binserve: the one validation of a deployment file, run by both
// `binserve config check FILE` and `binserve serve --config FILE` before
// anything starts, so that a file check accepts is a file serve starts.
//
// The loader (config/deployment_loader.hpp) checks the schema and each
// value's rules (config/config_rules.hpp). This adds what only the machine
// and the files can tell, running the same code start_service and the
// servers run, short of starting them:
//   model.*           the model loads (load_model): a file that is not a
//                     model names model.path, a tokenizer that does not fit
//                     it model.tokenizer, a bad preset model.dummy;
//                     model.stop_tokens[i] lie in its vocabulary
//   model.dtype       the backend computes in it (cpu: fp32 only)
//   backend.*,        the KV cache holds a block; on cpu, every executor's
//   executors         KV cache (and dummy weights) fit 90% of host memory
//   predictor.model_file  the trained predictor loads for this model
//   server.host       resolves (getaddrinfo) and is an address of this
//                     machine (a socket binds to it), when a server listens
//   logging.step_trace  opens for appending (no file is truncated or left)
// Not checked: what needs a GPU (a cuda backend is not created, so a GPU
// deployment validates on any machine), and ports in use (they can change
// before start).
//
// Thread-safe: reads only its arguments; touches files only as said above.
#pragma once

#include <memory>
#include <string>

#include "binserve/config.hpp"
#include "binserve/status.hpp"
#include "config/deployment_loader.hpp"

namespace binserve {

// Loads the deployment at `path` (load_deployment) and runs check_deployment
// on it. Returns the deployment (relative paths resolved) when serve would
// start it, its service.loaded holding the model the check loaded (so
// start_service does not load it again). Errors: io_error when `path` cannot be read; otherwise
// config_invalid "FILE:LINE:COL: KEY.PATH: what", the first problem found.
status_or<deployment_config> load_checked_deployment(const std::string& path);

// The checks above, beyond the schema, of a deployment already parsed.
// Errors: config_invalid "FILE:LINE:COL: KEY.PATH: what", LINE:COL being
// the key's value in `d.marks` (its section's when the file did not write
// the key); the message carries the underlying error's code and text.
// Returns the model `d` serves, loaded.
status_or<std::shared_ptr<const model>> check_deployment(const located_deployment& d);

}  // namespace binserve
