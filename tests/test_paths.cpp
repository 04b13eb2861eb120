#include "tests/test_paths.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace binserve::testing {

std::string shared_path(const std::string& relative) {
  // $BINSERVE_SHARED_DIR overrides the configured folder (a build run on another machine).
  const char* env = std::getenv("BINSERVE_SHARED_DIR");
  return std::string(env != nullptr && *env != '\0' ? env : BINSERVE_SHARED_DIR) + "/" + relative;
}

bool has_shared(const std::string& relative) { return std::filesystem::exists(shared_path(relative)); }

std::string binserve_binary() { return BINSERVE_BINARY; }

std::string binserve_bench_binary() { return BINSERVE_BENCH_BINARY; }

bool write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

}  // namespace binserve::testing
