// Bounds-checked parsing of the GGUF v3 container (llama.cpp's model file):
// metadata key/values and tensor descriptions over a read-only memory map.
// It knows no model architecture; gguf_loader maps Llama onto it.
//
// Every read is checked against the file size, so a truncated or hostile file
// gives model_invalid naming the file and the element being read, and nothing
// is allocated in proportion to a count that the file does not back with bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "binserve/status.hpp"
#include "gpu/tensor_types.hpp"

namespace binserve::gguf {

enum class value_type : std::uint32_t {
  u8 = 0,
  i8 = 1,
  u16 = 2,
  i16 = 3,
  u32 = 4,
  i32 = 5,
  f32 = 6,
  boolean = 7,
  string = 8,
  array = 9,
  u64 = 10,
  i64 = 11,
  f64 = 12,
};

// A metadata value; `bytes` views the mapped file.
struct value {
  value_type type = value_type::u8;
  value_type elem_type = value_type::u8;  // arrays only
  std::uint64_t count = 1;                // arrays: number of elements
  std::string_view bytes;                 // scalar: its bytes; string: its text; array: its encoded elements
};

struct tensor_info {
  std::string name;
  std::vector<std::uint64_t> dims;  // ggml order: dims[0] varies fastest
  tensor_type type = tensor_type::f32;
  std::uint64_t n_elements = 0;
  const unsigned char* data = nullptr;  // its blocks (gpu/tensor_types.hpp), inside the map
  std::uint64_t n_bytes = 0;
};

// "[64, 512]": a tensor shape for messages, in ggml order.
std::string format_dims(const std::vector<std::uint64_t>& dims);

// A read-only private mapping of a whole file; empty files map to nothing.
class mapped_file {
 public:
  mapped_file() = default;
  mapped_file(mapped_file&& other) noexcept;
  mapped_file& operator=(mapped_file&& other) noexcept;
  ~mapped_file();

  // io_error when `path` cannot be opened, is not a regular file, or cannot be mapped.
  static status_or<mapped_file> open(const std::string& path);

  const unsigned char* data() const { return data_; }
  std::uint64_t size() const { return size_; }

 private:
  const unsigned char* data_ = nullptr;
  std::uint64_t size_ = 0;
};

// Whether the file at `path` starts with GGUF's magic (false when unreadable).
bool is_gguf_file(const std::string& path);

// A parsed GGUF v3 file. Values and tensor data view the mapping, so they live
// as long as the `file`.
class file {
 public:
  // io_error when the file cannot be read; model_invalid when it is not a
  // well-formed GGUF v3 container whose tensors are of types binserve reads
  // (gpu/tensor_types.hpp), lie inside its bounds, and have rows that are
  // whole blocks of their type.
  static status_or<file> open(const std::string& path);

  const std::string& path() const { return path_; }
  const value* find(std::string_view key) const;
  const tensor_info* find_tensor(std::string_view name) const;
  const std::vector<tensor_info>& tensors() const { return tensors_; }  // in file order
  const std::unordered_map<std::string, value>& metadata() const { return metadata_; }

  // Typed metadata reads. model_invalid naming the key when it is missing
  // (and no fallback is given) or holds another type.
  status get_int(std::string_view key, std::int64_t& out,
                 std::optional<std::int64_t> fallback = std::nullopt) const;  // any integer type
  status get_float(std::string_view key, float& out,
                   std::optional<float> fallback = std::nullopt) const;  // f32 or f64
  status get_string(std::string_view key, std::string& out) const;
  status get_bool(std::string_view key, bool& out) const;
  status get_strings(std::string_view key, std::vector<std::string>& out) const;
  status get_floats(std::string_view key, std::vector<float>& out) const;       // f32 array
  status get_ints(std::string_view key, std::vector<std::int64_t>& out) const;  // integer array

  // model_invalid with "path: what".
  status invalid(const std::string& what) const;

 private:
  friend class parser;
  status lookup(std::string_view key, value_type type, const value*& out) const;
  status lookup_array(std::string_view key, const value*& out) const;

  std::string path_;
  mapped_file map_;
  std::unordered_map<std::string, value> metadata_;
  std::vector<tensor_info> tensors_;
  std::unordered_map<std::string, std::size_t> tensor_index_;
};

}  // namespace binserve::gguf
