#include "gpu/gguf_quantize.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <vector>

#include "gpu/gguf_reader.hpp"
#include "gpu/quantize.hpp"

namespace binserve::gguf {

namespace {

template <class T>
void append(std::string& out, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out.append(bytes, sizeof(T));
}

void append_string(std::string& out, std::string_view s) {
  append<std::uint64_t>(out, s.size());
  out += s;
}

// A value as the file encodes it after its key and type.
std::string payload_of(const value& v) {
  std::string out;
  if (v.type == value_type::string) {
    append_string(out, v.bytes);
  } else if (v.type == value_type::array) {
    append(out, std::uint32_t(v.elem_type));
    append(out, v.count);
    out += v.bytes;
  } else {
    out += v.bytes;
  }
  return out;
}

// llama.cpp's llama_ftype for a file whose matrices are `type`.
std::uint32_t file_type_of(tensor_type type) {
  switch (type) {
    case tensor_type::f32: return 0;
    case tensor_type::f16: return 1;
    case tensor_type::q4_0: return 2;
    case tensor_type::q8_0: return 7;
    case tensor_type::q4_k: return 14;  // Q4_K_S: every matrix in Q4_K
    case tensor_type::q5_k: return 16;  // Q5_K_S
    case tensor_type::q6_k: return 18;
    case tensor_type::bf16: return 32;
    default: return 0;
  }
}

bool converts(const tensor_info& t, tensor_type type) {
  return t.dims.size() == 2 && t.dims[0] % layout_of(std::uint32_t(type))->block_elements == 0;
}

void pad(std::string& out, std::uint64_t alignment) { out.append((alignment - out.size() % alignment) % alignment, '\0'); }

}  // namespace

status quantize_gguf(const std::string& in, const std::string& out, tensor_type type) {
  auto f = file::open(in);
  if (!f.ok()) return f.error();
  std::int64_t alignment = 32;
  if (status s = f->get_int("general.alignment", alignment, 32); !s.ok()) return s;

  std::map<std::string, std::pair<value_type, std::string>> metadata;  // sorted: the same input, the same bytes
  for (const auto& [key, v] : f->metadata()) metadata[key] = {v.type, payload_of(v)};
  std::string u32;
  append(u32, file_type_of(type));
  metadata["general.file_type"] = {value_type::u32, u32};
  if (layout_of(std::uint32_t(type))->block_elements > 1) {
    std::string version;
    append<std::uint32_t>(version, 2);  // ggml's block formats since 2023
    metadata["general.quantization_version"] = {value_type::u32, version};
  }

  std::string head = "GGUF";
  append<std::uint32_t>(head, 3);
  append<std::uint64_t>(head, f->tensors().size());
  append<std::uint64_t>(head, metadata.size());
  for (const auto& [key, v] : metadata) {
    append_string(head, key);
    append(head, std::uint32_t(v.first));
    head += v.second;
  }
  std::uint64_t offset = 0;
  std::vector<tensor_type> types;
  for (const tensor_info& t : f->tensors()) {
    const tensor_type to = converts(t, type) ? type : t.type;
    const type_layout l = *layout_of(std::uint32_t(to));
    types.push_back(to);
    append_string(head, t.name);
    append<std::uint32_t>(head, static_cast<std::uint32_t>(t.dims.size()));
    for (std::uint64_t d : t.dims) append(head, d);
    append(head, std::uint32_t(to));
    append(head, offset);
    const std::uint64_t bytes = t.n_elements / l.block_elements * l.block_bytes;
    offset += (bytes + alignment - 1) / alignment * alignment;
  }
  pad(head, std::uint64_t(alignment));

  std::ofstream o(out, std::ios::binary | std::ios::trunc);
  if (!o) return status(error_code::io_error, out + ": cannot open for writing");
  o.write(head.data(), static_cast<std::streamsize>(head.size()));
  std::vector<float> values;
  std::string data;
  for (std::size_t i = 0; i < f->tensors().size(); ++i) {
    const tensor_info& t = f->tensors()[i];
    if (types[i] == t.type) {
      data.assign(reinterpret_cast<const char*>(t.data), t.n_bytes);
    } else {
      values.resize(t.n_elements);
      dequantize(t.type, t.data, values.data(), t.n_elements);
      const type_layout l = *layout_of(std::uint32_t(types[i]));
      data.assign(t.n_elements / l.block_elements * l.block_bytes, '\0');
      quantize(types[i], values.data(), reinterpret_cast<unsigned char*>(data.data()), t.n_elements);
    }
    pad(data, std::uint64_t(alignment));
    o.write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  o.close();
  if (!o) return status(error_code::io_error, out + ": write failed");
  return status::ok_status();
}

}  // namespace binserve::gguf
