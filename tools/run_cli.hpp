// The main of binserve's programs (`binserve`, `binserve-bench`): parse the
// command line and run the chosen subcommand.
#pragma once

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <string>

namespace binserve::tools {

// Runs `app` on the command line; its exit code. Errors are values at every
// boundary; an exception that still escapes a command (a broken invariant)
// ends it with a message naming `program`, never an abort.
inline int run_cli(CLI::App& app, int argc, char** argv, const std::string& program) {
  try {
    CLI11_PARSE(app, argc, argv);
  } catch (const std::exception& e) {
    std::cerr << program << ": internal error: " << e.what() << "\n";
    return 70;  // EX_SOFTWARE
  }
  return 0;
}

}  // namespace binserve::tools
