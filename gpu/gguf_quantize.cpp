#include "gpu/gguf_quantize.hpp"

#include <map>
#include <memory>
#include <vector>

#include "gpu/gguf_reader.hpp"
#include "gpu/gguf_writer.hpp"
#include "gpu/quantize.hpp"

namespace binserve::gguf {

namespace {

// llama.cpp's llama_ftype for a file whose matrices are `type`.
std::uint32_t file_type_of(tensor_type type) {
  switch (type) {
    case tensor_type::f32:
      return 0;
    case tensor_type::f16:
      return 1;
    case tensor_type::q4_0:
      return 2;
    case tensor_type::q8_0:
      return 7;
    case tensor_type::q4_k:
      return 14;  // Q4_K_S: every matrix in Q4_K
    case tensor_type::q5_k:
      return 16;  // Q5_K_S
    case tensor_type::q6_k:
      return 18;
    case tensor_type::bf16:
      return 32;
  }
  return 0;
}

void set_file_type(writer& w, tensor_type type) {
  w.set_u32("general.file_type", file_type_of(type));
  if (layout_of(std::uint32_t(type))->block_elements > 1)
    w.set_u32("general.quantization_version", 2);  // ggml's block formats since 2023
}

// A value as the file encodes it after its key and type.
std::string payload_of(const value& v) {
  std::string out;
  auto put = [&out](const auto& x) { out.append(reinterpret_cast<const char*>(&x), sizeof x); };
  if (v.type == value_type::string) {
    put(std::uint64_t(v.bytes.size()));
  } else if (v.type == value_type::array) {
    put(std::uint32_t(v.elem_type));
    put(v.count);
  }
  out += v.bytes;
  return out;
}

}  // namespace

status quantize_gguf(const std::string& in, const std::string& out, tensor_type type) {
  auto opened = file::open(in);
  if (!opened.ok()) return opened.error();
  auto f = std::make_shared<const file>(std::move(*opened));
  writer w;
  std::map<std::string, const value*> sorted;  // the same input, the same bytes
  for (const auto& [key, v] : f->metadata()) sorted[key] = &v;
  for (const auto& [key, v] : sorted) w.set_raw(key, std::uint32_t(v->type), payload_of(*v));
  if (std::int64_t alignment = 32; f->get_int("general.alignment", alignment, 32).ok())
    w.set_alignment(static_cast<std::uint32_t>(alignment));
  set_file_type(w, type);
  for (const tensor_info& t : f->tensors()) {
    const tensor_type to = type_for(t.dims, type).value_or(t.type);
    if (to == t.type) {
      w.add_deferred_tensor(t.name, t.dims, std::uint32_t(t.type), t.n_bytes,
                            [f, &t] { return std::string(reinterpret_cast<const char*>(t.data), t.n_bytes); });
      continue;
    }
    const type_layout l = *layout_of(std::uint32_t(to));
    w.add_deferred_tensor(t.name, t.dims, std::uint32_t(to), t.n_elements / l.block_elements * l.block_bytes,
                          [f, &t, to, l] {
                            std::vector<float> values(t.n_elements);
                            dequantize(t.type, t.data, values.data(), t.n_elements);
                            std::string bytes(t.n_elements / l.block_elements * l.block_bytes, '\0');
                            quantize(to, values.data(), reinterpret_cast<unsigned char*>(bytes.data()), t.n_elements);
                            return bytes;
                          });
  }
  return w.write(out);
}

status quantize_model(const model& m, const std::string& out, tensor_type type) {
  writer w = llama_gguf(m, type);
  set_file_type(w, type);
  return w.write(out);
}

}  // namespace binserve::gguf
