// Builds GGUF v3 files in memory, for loader tests and fuzz corpora.
//
// It writes exactly what it is given and checks nothing, so tests can also
// build malformed files: raw values, any tensor type, wrong shapes, bad offsets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gpu/model.hpp"

namespace binserve::testing {

// The ggml tensor types the writer converts floats to.
enum class gguf_tensor_type : std::uint32_t { f32 = 0, f16 = 1 };

class gguf_writer {
 public:
  // Metadata keys keep their first insertion's place; setting again replaces the value.
  void set_u32(const std::string& key, std::uint32_t v);
  void set_i32(const std::string& key, std::int32_t v);
  void set_u64(const std::string& key, std::uint64_t v);
  void set_f32(const std::string& key, float v);
  void set_string(const std::string& key, const std::string& v);
  void set_strings(const std::string& key, const std::vector<std::string>& v);
  void set_f32s(const std::string& key, const std::vector<float>& v);
  void set_i32s(const std::string& key, const std::vector<std::int32_t>& v);
  // `payload` is written verbatim after the key and `type`.
  void set_raw(const std::string& key, std::uint32_t type, std::string payload);
  void remove(const std::string& key);

  // Also writes general.alignment; the default, 32, is not written.
  void set_alignment(std::uint32_t alignment);
  void set_version(std::uint32_t version) { version_ = version; }

  // Tensors in insertion order (adding a name again replaces it), each padded
  // to the alignment in the data section. `dims` are in ggml order (a
  // row-major [out, in] matrix is {in, out}). `data` is converted to `type`
  // (f32 or f16).
  void add_tensor(const std::string& name, std::vector<std::uint64_t> dims, const float* data,
                  std::size_t n, gguf_tensor_type type = gguf_tensor_type::f32);
  // `bytes` verbatim; `offset` overrides the data-section offset written.
  void add_raw_tensor(const std::string& name, std::vector<std::uint64_t> dims,
                      std::uint32_t type, std::string bytes,
                      std::optional<std::uint64_t> offset = std::nullopt);
  void remove_tensor(const std::string& name);

  std::string bytes() const;

 private:
  struct entry {
    std::string key;
    std::uint32_t type;
    std::string payload;
  };
  struct tensor {
    std::string name;
    std::vector<std::uint64_t> dims;
    std::uint32_t type;
    std::string bytes;
    std::optional<std::uint64_t> offset;
  };

  void set(const std::string& key, std::uint32_t type, std::string payload);

  std::vector<entry> metadata_;
  std::vector<tensor> tensors_;
  std::uint32_t version_ = 3;
  std::uint32_t alignment_ = 32;
};

// A complete Llama GGUF holding `m`: llama.* shape keys, the tokenizer (with
// SentencePiece's U+2581 for spaces), and every weight as `type`; output.weight
// only when the classifier is not shared.
gguf_writer llama_gguf(const model& m, gguf_tensor_type type = gguf_tensor_type::f32);

// Writes `bytes` to `path`; false on failure.
bool write_file(const std::string& path, const std::string& bytes);

}  // namespace binserve::testing
