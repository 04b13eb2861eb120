#include "tests/run_binserve.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <memory>

#include "tests/test_paths.hpp"

namespace binserve::testing {

run_result run_binserve(const std::string& args) { return run_shell(binserve_binary() + " " + args + " 2>&1"); }

run_result run_binserve_bench(const std::string& args) {
  return run_shell(binserve_bench_binary() + " " + args + " 2>&1");
}

run_result run_shell(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe.get())) out.append(buf.data(), n);
  const int status = pclose(pipe.release());
  return {WEXITSTATUS(status), out};
}

}  // namespace binserve::testing
