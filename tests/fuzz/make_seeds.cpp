// Writes the binary seed files of the fuzz corpora (tests/fuzz/corpus/):
// tiny llama2.c checkpoints, tiny GGUF files and llama2.c tokenizer files,
// built from one small model. Usage: fuzz_make_seeds CORPUS_DIR
// (the text corpora -- protocol lines, HTTP requests, YAML -- are written by hand).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "gpu/gguf_writer.hpp"
#include "gpu/host_weights.hpp"
#include "gpu/model.hpp"
#include "tests/gpu/tiny_model.hpp"

namespace {

using namespace binserve;

// 1 layer, context 8: every loader code path at a few KB.
model tiny_model(bool shared_classifier) { return testing::tiny_model(shared_classifier, 1, 8); }

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// The legacy llama2.c layout: header, weights up to rms_final, RoPE tables, wcls.
std::string llama2c_bytes(const model& m) {
  const model_config& c = m.config;
  std::string out;
  for (int v : {c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads,
                c.shared_classifier ? c.vocab_size : -c.vocab_size, c.n_ctx})
    put<std::int32_t>(out, v);
  const host_weights& w = *m.weights;
  const float* end = w.rms_final + c.dim;
  for (const float* p = w.storage.data(); p != end; ++p) put(out, *p);
  for (int i = 0; i < c.n_ctx * c.head_dim(); ++i) put(out, 0.5f);
  if (!c.shared_classifier)
    for (int i = 0; i < c.vocab_size * c.dim; ++i) put(out, w.wcls.f32()[i]);
  return out;
}

// Two bytes choosing vocab_size (tokenizer_fuzz's convention), then the file.
std::string tokenizer_bytes(const vocab& v) {
  std::string out;
  put<std::uint16_t>(out, static_cast<std::uint16_t>(v.size() - 1));
  put<std::int32_t>(out, 8);  // max_token_length
  for (std::size_t i = 0; i < v.size(); ++i) {
    put(out, v.scores[i]);
    put<std::int32_t>(out, static_cast<std::int32_t>(v.pieces[i].size()));
    out += v.pieces[i];
  }
  return out;
}

// The tiny model plus one tensor of each quantized type the reader takes
// (blocks of arbitrary bytes), so mutations reach the block-size checks.
std::string quantized_extras(const model& m) {
  gguf::writer w = gguf::llama_gguf(m);
  const struct {
    const char* name;
    std::uint32_t type;
    std::uint64_t row, block_bytes, block_elements;
  } extras[] = {{"x.q8_0", 8, 32, 34, 32},     {"x.q4_0", 2, 32, 18, 32},     {"x.q4_k", 12, 256, 144, 256},
                {"x.q5_k", 13, 256, 176, 256}, {"x.q6_k", 14, 256, 210, 256}, {"x.bf16", 30, 16, 2, 1}};
  for (const auto& e : extras) {
    std::string bytes(2 * e.row / e.block_elements * e.block_bytes, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 37 + 11);
    w.add_raw_tensor(e.name, {e.row, 2}, e.type, bytes);
  }
  return w.bytes();
}

bool write(const std::filesystem::path& dir, const std::string& name, const std::string& bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root = argv[1];
  const model shared = tiny_model(true), separate = tiny_model(false);
  const bool ok =
      write(root / "llama2c", "tiny_shared.bin", llama2c_bytes(shared)) &&
      write(root / "llama2c", "tiny_separate.bin", llama2c_bytes(separate)) &&
      write(root / "gguf", "tiny_f32.gguf", gguf::llama_gguf(separate).bytes()) &&
      write(root / "gguf", "tiny_f16_shared.gguf", gguf::llama_gguf(shared, gguf::tensor_type::f16).bytes()) &&
      write(root / "gguf", "tiny_quantized_extras.gguf", quantized_extras(separate)) &&
      write(root / "tokenizer", "tiny.bin", tokenizer_bytes(shared.vocab));
  if (!ok) std::fprintf(stderr, "cannot write under %s\n", argv[1]);
  return ok ? 0 : 1;
}
