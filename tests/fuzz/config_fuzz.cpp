// Fuzzes the YAML deployment loader (config/deployment_loader.hpp): any text
// parses or gives a config_invalid value; an accepted deployment written back
// with to_yaml must load again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/deployment_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = binserve::parse_deployment(text, "/nonexistent/fuzz.yaml");
  if (config.ok() && !binserve::parse_deployment(binserve::to_yaml(*config), "/nonexistent/again.yaml").ok())
    std::abort();
  return 0;
}
