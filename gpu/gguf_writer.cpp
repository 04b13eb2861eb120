#include "gpu/gguf_writer.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>

#include "gpu/quantize.hpp"

namespace binserve::gguf {

namespace {

// GGUF metadata value types.
constexpr std::uint32_t kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7, kString = 8, kArray = 9, kU64 = 10;

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
    case token_kind::unknown:
      return 2;
    case token_kind::control:
      return 3;
    case token_kind::user_defined:
      return 4;
    case token_kind::byte:
      return 6;
    case token_kind::normal:
      return 1;
  }
  return 1;
}

void pad_to(std::string& out, std::uint64_t alignment) {
  out.append((alignment - out.size() % alignment) % alignment, '\0');
}

// "qwen2" for a layer with q/k/v biases (and its half-split RoPE), else "llama".
std::string architecture_of(const model_config& c) { return c.qkv_bias ? "qwen2" : "llama"; }

void set_llama_metadata(writer& w, const model& m) {
  const model_config& c = m.config;
  const std::string p = architecture_of(c) + ".";
  w.set_string("general.architecture", architecture_of(c));
  w.set_u32(p + "context_length", std::uint32_t(c.n_ctx));
  w.set_u32(p + "embedding_length", std::uint32_t(c.dim));
  w.set_u32(p + "feed_forward_length", std::uint32_t(c.hidden_dim));
  w.set_u32(p + "block_count", std::uint32_t(c.n_layers));
  w.set_u32(p + "attention.head_count", std::uint32_t(c.n_heads));
  w.set_u32(p + "attention.head_count_kv", std::uint32_t(c.n_kv_heads));
  w.set_f32(p + "attention.layer_norm_rms_epsilon", c.norm_eps);
  w.set_f32(p + "rope.freq_base", c.rope_theta);
  const bool byte_bpe = m.vocab.scheme == vocab_scheme::byte_bpe;
  std::vector<std::string> pieces;
  std::vector<std::int32_t> types;
  for (int i = 0; i < m.vocab.size(); ++i) {
    pieces.push_back(byte_bpe ? m.vocab.pieces[i] : to_sentencepiece(m.vocab.pieces[i]));
    types.push_back(gguf_token_type(m.vocab.kinds[i]));
  }
  w.set_string("tokenizer.ggml.model", byte_bpe ? "gpt2" : "llama");
  w.set_strings("tokenizer.ggml.tokens", pieces);
  w.set_i32s("tokenizer.ggml.token_type", types);
  if (byte_bpe) {
    w.set_strings("tokenizer.ggml.merges", m.vocab.merges);
    w.set_string("tokenizer.ggml.pre", m.vocab.pre);
  } else {
    w.set_f32s("tokenizer.ggml.scores", m.vocab.scores);
  }
  w.set_bool("tokenizer.ggml.add_bos_token", m.vocab.add_bos);
  if (m.vocab.eot_id >= 0) w.set_u32("tokenizer.ggml.eot_token_id", std::uint32_t(m.vocab.eot_id));
  if (!m.vocab.chat_template.empty()) w.set_string("tokenizer.chat_template", m.vocab.chat_template);
  w.set_u32("tokenizer.ggml.bos_token_id", std::uint32_t(m.vocab.bos_id));
  w.set_u32("tokenizer.ggml.eos_token_id", std::uint32_t(m.vocab.eos_id));
  w.set_u32("tokenizer.ggml.unknown_token_id", std::uint32_t(m.vocab.unk_id));
}

}  // namespace

void writer::set(const std::string& key, std::uint32_t type, std::string payload) {
  auto it = std::find_if(metadata_.begin(), metadata_.end(), [&](const entry& e) { return e.key == key; });
  if (it == metadata_.end())
    metadata_.push_back({key, type, std::move(payload)});
  else
    *it = {key, type, std::move(payload)};
}

void writer::set_u32(const std::string& key, std::uint32_t v) {
  std::string p;
  append(p, v);
  set(key, kU32, p);
}

void writer::set_i32(const std::string& key, std::int32_t v) {
  std::string p;
  append(p, v);
  set(key, kI32, p);
}

void writer::set_u64(const std::string& key, std::uint64_t v) {
  std::string p;
  append(p, v);
  set(key, kU64, p);
}

void writer::set_f32(const std::string& key, float v) {
  std::string p;
  append(p, v);
  set(key, kF32, p);
}

void writer::set_bool(const std::string& key, bool v) { set(key, kBool, std::string(1, v ? '\1' : '\0')); }

void writer::set_string(const std::string& key, const std::string& v) {
  std::string p;
  append_string(p, v);
  set(key, kString, p);
}

void writer::set_strings(const std::string& key, const std::vector<std::string>& v) {
  std::string p;
  append(p, kString);
  append<std::uint64_t>(p, v.size());
  for (const auto& s : v) append_string(p, s);
  set(key, kArray, p);
}

void writer::set_f32s(const std::string& key, const std::vector<float>& v) { set(key, kArray, array_payload(kF32, v)); }

void writer::set_i32s(const std::string& key, const std::vector<std::int32_t>& v) {
  set(key, kArray, array_payload(kI32, v));
}

void writer::set_raw(const std::string& key, std::uint32_t type, std::string payload) {
  set(key, type, std::move(payload));
}

void writer::remove(const std::string& key) {
  std::erase_if(metadata_, [&](const entry& e) { return e.key == key; });
}

void writer::set_alignment(std::uint32_t alignment) {
  alignment_ = alignment;
  set_u32("general.alignment", alignment);
}

void writer::add_tensor(const std::string& name, std::vector<std::uint64_t> dims, const float* data, std::size_t n,
                        tensor_type type) {
  const type_layout l = *layout_of(std::uint32_t(type));
  std::string bytes(n / l.block_elements * l.block_bytes, '\0');
  quantize(type, data, reinterpret_cast<unsigned char*>(bytes.data()), n);
  add_raw_tensor(name, std::move(dims), std::uint32_t(type), std::move(bytes));
}

void writer::add_raw_tensor(const std::string& name, std::vector<std::uint64_t> dims, std::uint32_t type,
                            std::string bytes, std::optional<std::uint64_t> offset) {
  const std::uint64_t size = bytes.size();
  auto shared = std::make_shared<const std::string>(std::move(bytes));
  add_deferred_tensor(name, std::move(dims), type, size, [shared] { return *shared; });
  std::find_if(tensors_.begin(), tensors_.end(), [&](const tensor& t) { return t.name == name; })->offset = offset;
}

void writer::add_deferred_tensor(const std::string& name, std::vector<std::uint64_t> dims, std::uint32_t type,
                                 std::uint64_t size, std::function<std::string()> make) {
  tensor t{name, std::move(dims), type, size, std::move(make), std::nullopt};
  auto it = std::find_if(tensors_.begin(), tensors_.end(), [&](const tensor& x) { return x.name == name; });
  if (it == tensors_.end())
    tensors_.push_back(std::move(t));
  else
    *it = std::move(t);
}

void writer::remove_tensor(const std::string& name) {
  std::erase_if(tensors_, [&](const tensor& t) { return t.name == name; });
}

std::string writer::head() const {
  std::string head = "GGUF";
  append(head, version_);
  append<std::uint64_t>(head, tensors_.size());
  append<std::uint64_t>(head, metadata_.size());
  for (const auto& e : metadata_) {
    append_string(head, e.key);
    append(head, e.type);
    head += e.payload;
  }
  std::uint64_t at = 0;
  for (const auto& t : tensors_) {
    append_string(head, t.name);
    append<std::uint32_t>(head, static_cast<std::uint32_t>(t.dims.size()));
    for (std::uint64_t d : t.dims) append(head, d);
    append(head, t.type);
    at += (alignment_ - at % alignment_) % alignment_;
    append<std::uint64_t>(head, t.offset.value_or(at));
    at += t.size;
  }
  pad_to(head, alignment_);
  return head;
}

// The head, then each tensor's bytes padded to the alignment, to `sink`.
template <class Sink>
void writer::emit(Sink& sink) const {
  sink(head());
  std::uint64_t at = 0;
  for (const auto& t : tensors_) {
    sink(std::string((alignment_ - at % alignment_) % alignment_, '\0'));
    at += (alignment_ - at % alignment_) % alignment_;
    std::string data = t.make();
    at += data.size();
    sink(data);
  }
}

std::string writer::bytes() const {
  std::string out;
  auto sink = [&out](const std::string& piece) { out += piece; };
  emit(sink);
  return out;
}

status writer::write(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return status(error_code::io_error, path + ": cannot open for writing");
  auto sink = [&out](const std::string& piece) { out.write(piece.data(), static_cast<std::streamsize>(piece.size())); };
  emit(sink);
  out.close();
  if (!out) return status(error_code::io_error, path + ": write failed");
  return status::ok_status();
}

writer llama_gguf(const model& m, tensor_type matrices) {
  writer w;
  set_llama_metadata(w, m);
  const model_config& c = m.config;
  const host_weights& hw = *m.weights;
  const std::uint64_t d = c.dim, h = c.hidden_dim, kv = c.kv_dim(), v = c.vocab_size;
  // Matrices are fp32 here: the models this writes have fp32 host weights.
  auto add = [&](const std::string& name, std::vector<std::uint64_t> dims, const float* p) {
    std::uint64_t n = 1;
    for (std::uint64_t x : dims) n *= x;
    w.add_tensor(name, dims, p, n, type_for(dims, matrices).value_or(tensor_type::f32));
  };
  add("token_embd.weight", {d, v}, hw.token_embedding.f32());
  add("output_norm.weight", {d}, hw.rms_final);
  if (!c.rope_freq_factors.empty()) add("rope_freqs.weight", {c.rope_freq_factors.size()}, c.rope_freq_factors.data());
  if (!c.shared_classifier) add("output.weight", {d, v}, hw.wcls.f32());
  for (int l = 0; l < c.n_layers; ++l) {
    const layer_weights& lw = hw.layers[static_cast<std::size_t>(l)];
    const std::string p = "blk." + std::to_string(l) + ".";
    add(p + "attn_norm.weight", {d}, lw.rms_att);
    add(p + "attn_q.weight", {d, d}, lw.wq.f32());
    add(p + "attn_k.weight", {d, kv}, lw.wk.f32());
    add(p + "attn_v.weight", {d, kv}, lw.wv.f32());
    if (c.qkv_bias) {
      add(p + "attn_q.bias", {d}, lw.bq);
      add(p + "attn_k.bias", {kv}, lw.bk);
      add(p + "attn_v.bias", {kv}, lw.bv);
    }
    add(p + "attn_output.weight", {d, d}, lw.wo.f32());
    add(p + "ffn_norm.weight", {d}, lw.rms_ffn);
    add(p + "ffn_gate.weight", {d, h}, lw.w1.f32());
    add(p + "ffn_down.weight", {h, d}, lw.w2.f32());
    add(p + "ffn_up.weight", {d, h}, lw.w3.f32());
  }
  return w;
}

}  // namespace binserve::gguf
