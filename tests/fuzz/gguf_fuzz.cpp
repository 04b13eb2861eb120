// Fuzzes the GGUF reader and Llama loader (gpu/gguf_reader.hpp,
// gpu/gguf_loader.hpp) on files of arbitrary bytes: load or an error value.
#include <cstddef>
#include <cstdint>

#include "gpu/gguf_loader.hpp"
#include "gpu/model.hpp"
#include "tests/fuzz/fuzz_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = binserve::fuzz::scratch_path("gguf");
  if (!binserve::fuzz::write_input(path, data, size)) return 0;
  binserve::model m;
  (void)binserve::load_gguf(path, m);
  return 0;
}
