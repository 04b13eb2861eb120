#include "tests/gpu/gguf_writer.hpp"

#include "gpu/tensor_types.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>

namespace binserve::testing {

namespace {

// GGUF metadata value types.
constexpr std::uint32_t kU32 = 4, kI32 = 5, kF32 = 6, kString = 8, kArray = 9, kU64 = 10;

template <class T>
void append(std::string& out, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out.append(bytes, sizeof(T));
}

void append_string(std::string& out, const std::string& s) {
  append<std::uint64_t>(out, s.size());
  out += s;
}

template <class T>
std::string array_payload(std::uint32_t elem_type, const std::vector<T>& v) {
  std::string out;
  append(out, elem_type);
  append<std::uint64_t>(out, v.size());
  for (const T& x : v) append(out, x);
  return out;
}

std::string to_sentencepiece(const std::string& piece) {
  std::string out;
  for (char ch : piece) out += ch == ' ' ? std::string("\xE2\x96\x81") : std::string(1, ch);
  return out;
}

std::int32_t gguf_token_type(token_kind kind) {
  switch (kind) {
    case token_kind::unknown: return 2;
    case token_kind::control: return 3;
    case token_kind::byte: return 6;
    case token_kind::normal: return 1;
  }
  return 1;
}

void pad_to(std::string& out, std::uint64_t alignment) {
  out.append((alignment - out.size() % alignment) % alignment, '\0');
}

void set_llama_metadata(gguf_writer& w, const model& m) {
  const model_config& c = m.config;
  w.set_string("general.architecture", "llama");
  w.set_u32("llama.context_length", std::uint32_t(c.n_ctx));
  w.set_u32("llama.embedding_length", std::uint32_t(c.dim));
  w.set_u32("llama.feed_forward_length", std::uint32_t(c.hidden_dim));
  w.set_u32("llama.block_count", std::uint32_t(c.n_layers));
  w.set_u32("llama.attention.head_count", std::uint32_t(c.n_heads));
  w.set_u32("llama.attention.head_count_kv", std::uint32_t(c.n_kv_heads));
  w.set_f32("llama.attention.layer_norm_rms_epsilon", c.norm_eps);
  w.set_f32("llama.rope.freq_base", c.rope_theta);
  std::vector<std::string> pieces;
  std::vector<std::int32_t> types;
  for (int i = 0; i < m.vocab.size(); ++i) {
    pieces.push_back(to_sentencepiece(m.vocab.pieces[i]));
    types.push_back(gguf_token_type(m.vocab.kinds[i]));
  }
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_strings("tokenizer.ggml.tokens", pieces);
  w.set_f32s("tokenizer.ggml.scores", m.vocab.scores);
  w.set_i32s("tokenizer.ggml.token_type", types);
  w.set_u32("tokenizer.ggml.bos_token_id", std::uint32_t(m.vocab.bos_id));
  w.set_u32("tokenizer.ggml.eos_token_id", std::uint32_t(m.vocab.eos_id));
  w.set_u32("tokenizer.ggml.unknown_token_id", std::uint32_t(m.vocab.unk_id));
}

}  // namespace

void gguf_writer::set(const std::string& key, std::uint32_t type, std::string payload) {
  auto it = std::find_if(metadata_.begin(), metadata_.end(),
                         [&](const entry& e) { return e.key == key; });
  if (it == metadata_.end()) metadata_.push_back({key, type, std::move(payload)});
  else *it = {key, type, std::move(payload)};
}

void gguf_writer::set_u32(const std::string& key, std::uint32_t v) {
  std::string p;
  append(p, v);
  set(key, kU32, p);
}

void gguf_writer::set_i32(const std::string& key, std::int32_t v) {
  std::string p;
  append(p, v);
  set(key, kI32, p);
}

void gguf_writer::set_u64(const std::string& key, std::uint64_t v) {
  std::string p;
  append(p, v);
  set(key, kU64, p);
}

void gguf_writer::set_f32(const std::string& key, float v) {
  std::string p;
  append(p, v);
  set(key, kF32, p);
}

void gguf_writer::set_string(const std::string& key, const std::string& v) {
  std::string p;
  append_string(p, v);
  set(key, kString, p);
}

void gguf_writer::set_strings(const std::string& key, const std::vector<std::string>& v) {
  std::string p;
  append(p, kString);
  append<std::uint64_t>(p, v.size());
  for (const auto& s : v) append_string(p, s);
  set(key, kArray, p);
}

void gguf_writer::set_f32s(const std::string& key, const std::vector<float>& v) {
  set(key, kArray, array_payload(kF32, v));
}

void gguf_writer::set_i32s(const std::string& key, const std::vector<std::int32_t>& v) {
  set(key, kArray, array_payload(kI32, v));
}

void gguf_writer::set_raw(const std::string& key, std::uint32_t type, std::string payload) {
  set(key, type, std::move(payload));
}

void gguf_writer::remove(const std::string& key) {
  std::erase_if(metadata_, [&](const entry& e) { return e.key == key; });
}

void gguf_writer::set_alignment(std::uint32_t alignment) {
  alignment_ = alignment;
  set_u32("general.alignment", alignment);
}

void gguf_writer::add_tensor(const std::string& name, std::vector<std::uint64_t> dims,
                             const float* data, std::size_t n, gguf_tensor_type type) {
  std::string bytes;
  for (std::size_t i = 0; i < n; ++i) {
    if (type == gguf_tensor_type::f16) append(bytes, gguf::float_to_half(data[i]));
    else append(bytes, data[i]);
  }
  add_raw_tensor(name, std::move(dims), static_cast<std::uint32_t>(type), std::move(bytes));
}

void gguf_writer::add_raw_tensor(const std::string& name, std::vector<std::uint64_t> dims,
                                 std::uint32_t type, std::string bytes,
                                 std::optional<std::uint64_t> offset) {
  tensor t{name, std::move(dims), type, std::move(bytes), offset};
  auto it = std::find_if(tensors_.begin(), tensors_.end(),
                         [&](const tensor& x) { return x.name == name; });
  if (it == tensors_.end()) tensors_.push_back(std::move(t));
  else *it = std::move(t);
}

void gguf_writer::remove_tensor(const std::string& name) {
  std::erase_if(tensors_, [&](const tensor& t) { return t.name == name; });
}

std::string gguf_writer::bytes() const {
  std::string head = "GGUF", data;
  append(head, version_);
  append<std::uint64_t>(head, tensors_.size());
  append<std::uint64_t>(head, metadata_.size());
  for (const auto& e : metadata_) {
    append_string(head, e.key);
    append(head, e.type);
    head += e.payload;
  }
  for (const auto& t : tensors_) {
    append_string(head, t.name);
    append<std::uint32_t>(head, static_cast<std::uint32_t>(t.dims.size()));
    for (std::uint64_t d : t.dims) append(head, d);
    append(head, t.type);
    pad_to(data, alignment_);
    append<std::uint64_t>(head, t.offset.value_or(data.size()));
    data += t.bytes;
  }
  pad_to(head, alignment_);
  return head + data;
}

gguf_writer llama_gguf(const model& m, gguf_tensor_type type) {
  gguf_writer w;
  set_llama_metadata(w, m);
  const model_config& c = m.config;
  const host_weights& hw = *m.weights;
  const std::uint64_t d = c.dim, h = c.hidden_dim, kv = c.kv_dim(), v = c.vocab_size;
  auto add = [&](const std::string& name, std::vector<std::uint64_t> dims, const float* p) {
    std::uint64_t n = 1;
    for (std::uint64_t x : dims) n *= x;
    w.add_tensor(name, std::move(dims), p, n, type);
  };
  add("token_embd.weight", {d, v}, hw.token_embedding);
  add("output_norm.weight", {d}, hw.rms_final);
  if (!c.shared_classifier) add("output.weight", {d, v}, hw.wcls);
  for (int l = 0; l < c.n_layers; ++l) {
    const layer_weights& lw = hw.layers[static_cast<std::size_t>(l)];
    const std::string p = "blk." + std::to_string(l) + ".";
    add(p + "attn_norm.weight", {d}, lw.rms_att);
    add(p + "attn_q.weight", {d, d}, lw.wq);
    add(p + "attn_k.weight", {d, kv}, lw.wk);
    add(p + "attn_v.weight", {d, kv}, lw.wv);
    add(p + "attn_output.weight", {d, d}, lw.wo);
    add(p + "ffn_norm.weight", {d}, lw.rms_ffn);
    add(p + "ffn_gate.weight", {d, h}, lw.w1);
    add(p + "ffn_down.weight", {h, d}, lw.w2);
    add(p + "ffn_up.weight", {d, h}, lw.w3);
  }
  return w;
}

bool write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

}  // namespace binserve::testing
