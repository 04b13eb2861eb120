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

}  // namespace binserve::testing
