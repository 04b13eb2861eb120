// Runs the binserve program for end-to-end tests.
#pragma once

#include <string>

namespace binserve::testing {

struct run_result {
  int exit_code;
  std::string out;  // stdout and stderr together
};

// Runs `build/bin/binserve ARGS` through the shell and waits for it.
run_result run_binserve(const std::string& args);

// Runs `build/bin/binserve-bench ARGS` (the measuring tools) likewise.
run_result run_binserve_bench(const std::string& args);

// Runs `command` with /bin/sh (e.g. to set a ulimit first) and waits for it;
// only its stdout is read (end it with 2>&1 for stderr too).
run_result run_shell(const std::string& command);

}  // namespace binserve::testing
