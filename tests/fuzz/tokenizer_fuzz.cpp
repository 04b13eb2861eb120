// Fuzzes the llama2.c tokenizer loader (gpu/tokenizer.hpp). The first two
// bytes choose the vocabulary size (1..4096), the rest is the file. A loaded
// vocabulary must then encode and decode text without failing.
#include <cstddef>
#include <cstdint>

#include "gpu/tokenizer.hpp"
#include "tests/fuzz/fuzz_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const int vocab_size = 1 + ((data[0] | (data[1] << 8)) % 4096);
  const std::string& path = binserve::fuzz::scratch_path("tokenizer");
  if (!binserve::fuzz::write_input(path, data + 2, size - 2)) return 0;
  auto v = binserve::load_llama2c_vocab(path, vocab_size);
  if (!v.ok()) return 0;
  const binserve::tokenizer tok(std::move(*v));
  const std::vector<int> ids = tok.encode("Once upon a time, \xc3\xa9\xff there", true);
  (void)tok.decode(ids, 1);
  return 0;
}
