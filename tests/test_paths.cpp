#include "tests/test_paths.hpp"

#include <filesystem>

namespace binserve::testing {

std::string shared_path(const std::string& relative) {
  return std::string(BINSERVE_SHARED_DIR) + "/" + relative;
}

bool has_shared(const std::string& relative) {
  return std::filesystem::exists(shared_path(relative));
}

std::string binserve_binary() { return BINSERVE_BINARY; }

}  // namespace binserve::testing
