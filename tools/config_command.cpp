// binserve config check|print: validate deployment files and show the
// effective config.
#include <iostream>
#include <memory>
#include <string>

#include "config/deployment_check.hpp"
#include "config/deployment_loader.hpp"
#include "tools/commands.hpp"
#include "tools/model_options.hpp"

namespace binserve::tools {
namespace {

// Prints "FILE: ok" when `serve` would start FILE (the validation both
// run), or the error; returns the exit code.
int run_check(const std::string& file) {
  auto config = load_checked_deployment(file);
  if (!config.ok()) return report(config.error());
  std::cout << file << ": ok\n";
  return 0;
}

// Prints the effective config of `file`, or, when `file` is empty, every
// default with dummy:stories15m as the example model; returns the exit code.
int run_print(const std::string& file) {
  deployment_config config;
  config.service.model = "dummy:stories15m";
  if (!file.empty()) {
    auto loaded = load_deployment(file);
    if (!loaded.ok()) return report(loaded.error());
    config = std::move(*loaded);
  }
  std::cout << to_yaml(config);
  return 0;
}

void on_run(CLI::App* cmd, std::shared_ptr<std::string> file, int (*run)(const std::string&)) {
  cmd->callback([file, run] {
    if (int rc = run(*file); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace

void add_config_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("config", "validate and print deployment files");
  cmd->require_subcommand(1);
  auto check_file = std::make_shared<std::string>();
  CLI::App* check = cmd->add_subcommand("check", "validate a deployment file");
  check->add_option("file", *check_file, "deployment YAML file")->required();
  on_run(check, check_file, run_check);
  auto print_file = std::make_shared<std::string>();
  CLI::App* print = cmd->add_subcommand("print", "print the effective config (defaults filled in)");
  print->add_option("file", *print_file, "deployment YAML file (none: the defaults)");
  on_run(print, print_file, run_print);
}

}  // namespace binserve::tools
