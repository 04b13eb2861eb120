// binserve: deployment files. A YAML file in, a validated deployment_config
// out, and back to YAML. docs/config.md describes every key.
#pragma once

#include <string>

#include "actors/service_setup.hpp"
#include "binserve/config.hpp"
#include "binserve/status.hpp"
#include "config/key_marks.hpp"
#include "net/server_config.hpp"

namespace binserve {

struct logging_config {
  std::string level = "info";  // trace | debug | info | warn | error | off
};

// Everything a YAML deployment file sets: the service, and `binserve
// serve`'s front ends and logging.
struct deployment_config {
  service_setup service;  // an embedder's service_config, with the faults and the step trace
  server_config server;
  logging_config logging;
};

// A deployment and where in its file each key was written, for the checks
// that run after parsing (config/deployment_check.hpp).
struct located_deployment {
  deployment_config config;
  key_marks marks;
};

// Reads and validates the deployment file at `path`. Relative paths in it
// (model.path, model.tokenizer, predictor.model_file) resolve against the
// file's folder and come back absolute.
// Errors: io_error naming `path` when it cannot be read; otherwise those of
// parse_deployment, with `path` as the file name.
status_or<deployment_config> load_deployment(const std::string& path);

// Parses and validates `yaml_text` as a deployment. `name_for_messages` is the
// file name that messages carry; relative paths resolve against its folder
// (the current directory when it has none). Keys that are absent keep the
// defaults of config.hpp; only `model` is required. Validation creates no
// backend and loads no model: it only checks that named files exist.
// Errors: config_invalid with the message "FILE:LINE:COL: KEY.PATH: what",
// for YAML syntax, unknown keys (with "did you mean 'X'?"), wrong types,
// values out of range or outside their known set, a missing model file, and
// both or neither of model.path / model.dummy.
status_or<deployment_config> parse_deployment(const std::string& yaml_text, const std::string& name_for_messages);

// load_deployment and parse_deployment, keeping the marks of every key.
status_or<located_deployment> load_located_deployment(const std::string& path);
status_or<located_deployment> parse_located_deployment(const std::string& yaml_text,
                                                       const std::string& name_for_messages);

// The effective config as YAML, every key written out; parse_deployment of
// the result gives back `config`.
std::string to_yaml(const deployment_config& config);

}  // namespace binserve
