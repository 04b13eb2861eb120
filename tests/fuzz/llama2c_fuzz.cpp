// Fuzzes the llama2.c checkpoint loader (gpu/llama2c_loader.hpp) on files of
// arbitrary bytes: it must load them or return an error value.
#include <cstddef>
#include <cstdint>

#include "gpu/llama2c_loader.hpp"
#include "gpu/model.hpp"
#include "tests/fuzz/fuzz_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = binserve::fuzz::scratch_path("llama2c");
  if (!binserve::fuzz::write_input(path, data, size)) return 0;
  binserve::model m;
  (void)binserve::load_llama2c_weights(path, m);
  return 0;
}
