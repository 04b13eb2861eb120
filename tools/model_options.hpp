// Options shared by every subcommand that loads a model and a backend.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "gpu/backend.hpp"
#include "gpu/model.hpp"

namespace binserve::tools {

struct model_flags {
  std::string model;      // path or dummy:PRESET
  std::string tokenizer;  // llama2.c tokenizer file
  backend_options backend;

  // Adds --model, --tokenizer, --backend, --threads, --dtype, --device to `cmd`.
  void add_to(CLI::App& cmd);

  // Loads the model; on error prints it to stderr and returns null.
  std::shared_ptr<const binserve::model> load() const;
};

// Prints `s` as "binserve: <code>: <message>" to stderr and returns exit code 1.
int report(const status& s);

}  // namespace binserve::tools
