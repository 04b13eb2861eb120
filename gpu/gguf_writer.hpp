// Writes GGUF v3 files: metadata key/values, tensor infos, then tensor data,
// each tensor padded to the alignment. What `binserve quantize` writes and
// what the loader tests build their files with.
//
// It writes exactly what it is given and checks nothing, so tests can also
// build malformed files: raw values, any tensor type, wrong shapes, bad
// offsets. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "binserve/status.hpp"
#include "gpu/model.hpp"
#include "gpu/tensor_types.hpp"

namespace binserve::gguf {

class writer {
 public:
  // Metadata keys keep their first insertion's place; setting again replaces the value.
  void set_u32(const std::string& key, std::uint32_t v);
  void set_i32(const std::string& key, std::int32_t v);
  void set_u64(const std::string& key, std::uint64_t v);
  void set_f32(const std::string& key, float v);
  void set_bool(const std::string& key, bool v);
  void set_string(const std::string& key, const std::string& v);
  void set_strings(const std::string& key, const std::vector<std::string>& v);
  void set_f32s(const std::string& key, const std::vector<float>& v);
  void set_i32s(const std::string& key, const std::vector<std::int32_t>& v);
  // `payload` is written verbatim after the key and `type` (a value_type).
  void set_raw(const std::string& key, std::uint32_t type, std::string payload);
  void remove(const std::string& key);

  // Also writes general.alignment; the default, 32, is not written.
  void set_alignment(std::uint32_t alignment);
  void set_version(std::uint32_t version) { version_ = version; }

  // Tensors in insertion order (adding a name again replaces it). `dims` are
  // in ggml order (a row-major [out, in] matrix is {in, out}). `data` is
  // converted to `type` (gpu/quantize.hpp; the row length must be whole
  // blocks of it).
  void add_tensor(const std::string& name, std::vector<std::uint64_t> dims, const float* data, std::size_t n,
                  tensor_type type = tensor_type::f32);
  // `bytes` verbatim; `offset` overrides the data-section offset written.
  void add_raw_tensor(const std::string& name, std::vector<std::uint64_t> dims, std::uint32_t type, std::string bytes,
                      std::optional<std::uint64_t> offset = std::nullopt);
  // Bytes made only when written, `size` of them, by `make` (so a whole
  // file need not be in memory at once).
  void add_deferred_tensor(const std::string& name, std::vector<std::uint64_t> dims, std::uint32_t type,
                           std::uint64_t size, std::function<std::string()> make);
  void remove_tensor(const std::string& name);

  std::string bytes() const;
  // Streams the file to `path`, one tensor's bytes in memory at a time;
  // io_error when it cannot be written.
  status write(const std::string& path) const;

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
    std::uint64_t size;
    std::function<std::string()> make;
    std::optional<std::uint64_t> offset;
  };

  void set(const std::string& key, std::uint32_t type, std::string payload);
  std::string head() const;
  template <class Sink>
  void emit(Sink& sink) const;

  std::vector<entry> metadata_;
  std::vector<tensor> tensors_;
  std::uint32_t version_ = 3;
  std::uint32_t alignment_ = 32;
};

// A complete GGUF holding `m` (fp32 host weights: not a dummy, not a mapped
// GGUF of another type): architecture "qwen2" when the layer has q/k/v biases
// (which it writes as attn_{q,k,v}.bias), else "llama"; its ARCH.* shape keys,
// the tokenizer (with SentencePiece's U+2581 for spaces), the norms in F32 and
// every matrix in `matrices` (or what gguf::type_for gives it, F32 where
// nothing); rope_freqs.weight when the model has rope_freq_factors;
// output.weight only when the classifier is not shared.
writer llama_gguf(const model& m, tensor_type matrices = tensor_type::f32);

}  // namespace binserve::gguf
