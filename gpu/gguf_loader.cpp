// Maps a GGUF file's Llama metadata, tokenizer and tensors onto a `model`;
// gguf_reader does the bounds-checked container parsing.
//
// Q/K row order: binserve's RoPE rotates consecutive pairs (2i, 2i+1) of each
// head, like llama2.c and Meta's original checkpoints. llama.cpp's "normal"
// RoPE, which it uses for architecture "llama", rotates the same pairs; that
// is why its Hugging Face converter permutes wq/wk rows from HF's half-split
// order into this interleaved order. A "llama" GGUF therefore already holds
// wq/wk in binserve's order, and they are copied unpermuted. Checked on
// stories260K.gguf: every tensor, wq and wk included, is bit-identical to
// stories260K.bin (GgufLoader_MatchesLlama2cCheckpointTensors). For "qwen2"
// the converter does not permute, and llama.cpp rotates (i, i + head_dim/2)
// ("NEOX" RoPE): binserve's rope_style::halves.
#include "gpu/gguf_loader.hpp"

#include <array>
#include <climits>
#include <memory>
#include <optional>

#include "gpu/bpe_tokenizer.hpp"
#include "gpu/gguf_reader.hpp"

namespace binserve {

namespace {

constexpr std::string_view kSentencePieceSpace = "\xE2\x96\x81";  // U+2581

// A metadata integer that must fit an int.
status read_int(const gguf::file& f, std::string_view key, int& out, std::optional<int> fallback = std::nullopt) {
  std::int64_t v = 0;
  const auto wide = fallback ? std::optional<std::int64_t>(*fallback) : std::nullopt;
  if (status s = f.get_int(key, v, wide); !s.ok()) return s;
  if (v < INT_MIN || v > INT_MAX)
    return f.invalid("metadata key '" + std::string(key) + "' = " + std::to_string(v) + " is out of range");
  out = static_cast<int>(v);
  return status::ok_status();
}

struct int_key {
  const char* key;  // after "ARCH."
  int model_config::*field;
};

constexpr std::array<int_key, 5> kRequiredInts = {{
    {"embedding_length", &model_config::dim},
    {"feed_forward_length", &model_config::hidden_dim},
    {"block_count", &model_config::n_layers},
    {"attention.head_count", &model_config::n_heads},
    {"context_length", &model_config::n_ctx},
}};

// An optional size key that, when present, must equal head_dim: binserve
// rotates and attends over whole heads of dim / n_heads.
status check_head_size(const gguf::file& f, const std::string& key, const model_config& c) {
  if (f.find(key) == nullptr || c.n_heads <= 0) return status::ok_status();
  int v = 0;
  if (status s = read_int(f, key, v); !s.ok()) return s;
  if (v == c.dim / c.n_heads) return status::ok_status();
  return f.invalid(key + " = " + std::to_string(v) + " is not supported: binserve needs it to equal the head " +
                   "size embedding_length / head_count = " + std::to_string(c.dim / c.n_heads));
}

// ARCH.rope.scaling.type: none, or linear (every frequency divided by
// ARCH.rope.scaling.factor). Llama 3's scaling comes as the rope_freqs.weight
// tensor instead (read_rope_factors).
status read_rope_scaling(const gguf::file& f, const std::string& p, model_config& c) {
  const std::string key = p + "rope.scaling.type";
  if (f.find(key) == nullptr) return status::ok_status();
  std::string type;
  if (status s = f.get_string(key, type); !s.ok()) return s;
  if (type == "none") return status::ok_status();
  if (type != "linear")
    return f.invalid(key + " '" + type + "' is not supported (none, linear; Llama 3's comes as rope_freqs.weight)");
  float factor = 0;
  if (status s = f.get_float(p + "rope.scaling.factor", factor); !s.ok()) return s;
  c.rope_freq_factors.assign(std::size_t(std::max(0, c.dim / std::max(1, c.n_heads) / 2)), factor);
  return status::ok_status();
}

// Architectures whose layers are Llama's: "llama" (SentencePiece-era Llama,
// Llama 3, Mistral, SmolLM) and "qwen2" (the same plus q/k/v biases, its RoPE
// over half-split heads as llama.cpp's converter leaves it).
status read_config(const gguf::file& f, model_config& c, std::string& arch) {
  if (status s = f.get_string("general.architecture", arch); !s.ok()) return s;
  if (arch != "llama" && arch != "qwen2")
    return f.invalid("general.architecture '" + arch + "' is not supported (llama, qwen2)");
  const std::string p = arch + ".";
  for (const auto& k : kRequiredInts)
    if (status s = read_int(f, p + k.key, c.*k.field); !s.ok()) return s;
  if (status s = read_int(f, p + "attention.head_count_kv", c.n_kv_heads, c.n_heads); !s.ok()) return s;
  if (status s = f.get_float(p + "attention.layer_norm_rms_epsilon", c.norm_eps); !s.ok()) return s;
  if (status s = f.get_float(p + "rope.freq_base", c.rope_theta, 10000.0f); !s.ok()) return s;
  for (const char* key : {"rope.dimension_count", "attention.key_length", "attention.value_length"})
    if (status s = check_head_size(f, p + key, c); !s.ok()) return s;
  c.qkv_bias = arch == "qwen2";
  c.rope = arch == "qwen2" ? rope_style::halves : rope_style::interleaved;
  return read_rope_scaling(f, p, c);
}

// rope_freqs.weight, when present: head_dim / 2 frequency divisors.
status read_rope_factors(const gguf::file& f, model_config& c) {
  const gguf::tensor_info* t = f.find_tensor("rope_freqs.weight");
  if (t == nullptr || c.n_heads <= 0) return status::ok_status();  // validate() names a bad shape
  const std::vector<std::uint64_t> want = {std::uint64_t(c.head_dim() / 2)};
  if (t->dims != want)
    return f.invalid("tensor 'rope_freqs.weight' has shape " + gguf::format_dims(t->dims) + ", expected " +
                     gguf::format_dims(want));
  c.rope_freq_factors.resize(want[0]);
  gguf::dequantize(t->type, t->data, c.rope_freq_factors.data(), t->n_elements);
  return status::ok_status();
}

// SentencePiece writes a space as U+2581; binserve's pieces hold ' '.
std::string from_sentencepiece(std::string_view piece) {
  std::string out;
  out.reserve(piece.size());
  for (size_t at = 0; at < piece.size();) {
    if (piece.substr(at, kSentencePieceSpace.size()) == kSentencePieceSpace) {
      out += ' ';
      at += kSentencePieceSpace.size();
    } else {
      out += piece[at++];
    }
  }
  return out;
}

token_kind kind_of(std::int64_t gguf_type) {
  switch (gguf_type) {
    case 2:
      return token_kind::unknown;
    case 3:
      return token_kind::control;
    case 4:
      return token_kind::user_defined;
    case 6:
      return token_kind::byte;
    default:
      return token_kind::normal;  // 1 normal, 5 unused
  }
}

status check_count(const gguf::file& f, const char* key, std::size_t got, std::size_t want) {
  if (got == want) return status::ok_status();
  return f.invalid(std::string(key) + " has " + std::to_string(got) + " entries for " + std::to_string(want) +
                   " tokens");
}

// Scores and token types are optional: absent means score 0, normal token.
status read_token_properties(const gguf::file& f, vocab& v) {
  const std::size_t n = v.pieces.size();
  v.scores.assign(n, 0.0f);
  v.kinds.assign(n, token_kind::normal);
  if (f.find("tokenizer.ggml.scores") != nullptr) {
    if (status s = f.get_floats("tokenizer.ggml.scores", v.scores); !s.ok()) return s;
    if (status s = check_count(f, "tokenizer.ggml.scores", v.scores.size(), n); !s.ok()) return s;
  }
  if (f.find("tokenizer.ggml.token_type") == nullptr) return status::ok_status();
  std::vector<std::int64_t> types;
  if (status s = f.get_ints("tokenizer.ggml.token_type", types); !s.ok()) return s;
  if (status s = check_count(f, "tokenizer.ggml.token_type", types.size(), n); !s.ok()) return s;
  for (std::size_t i = 0; i < n; ++i) v.kinds[i] = kind_of(types[i]);
  return status::ok_status();
}

status read_special_token(const gguf::file& f, const char* key, int fallback, int& out, int vocab_size) {
  if (status s = read_int(f, key, out, fallback); !s.ok()) return s;
  if (out >= 0 && out < vocab_size) return status::ok_status();
  return f.invalid(std::string(key) + " " + std::to_string(out) + " is outside the vocabulary (" +
                   std::to_string(vocab_size) + " tokens)");
}

// tokenizer.ggml.model "gpt2": byte-level BPE with tokenizer.ggml.merges and
// the pre-tokenizer tokenizer.ggml.pre (default gpt-2), checked here so that
// a tokenizer can always be made of the vocabulary.
status read_byte_bpe(const gguf::file& f, vocab& v) {
  v.scheme = vocab_scheme::byte_bpe;
  if (status s = f.get_strings("tokenizer.ggml.merges", v.merges); !s.ok()) return s;
  v.pre = "gpt-2";
  if (f.find("tokenizer.ggml.pre") != nullptr)
    if (status s = f.get_string("tokenizer.ggml.pre", v.pre); !s.ok()) return s;
  if (status s = bpe_tokenizer::check(v.pre, {}); !s.ok()) return f.invalid("tokenizer.ggml.pre: " + s.message());
  if (status s = bpe_tokenizer::check(v.pre, v.merges); !s.ok())
    return f.invalid("tokenizer.ggml.merges: " + s.message());
  return status::ok_status();
}

status read_vocab(const gguf::file& f, vocab& v) {
  std::string kind = "llama";
  if (f.find("tokenizer.ggml.model") != nullptr)
    if (status s = f.get_string("tokenizer.ggml.model", kind); !s.ok()) return s;
  if (kind != "llama" && kind != "gpt2")
    return f.invalid("tokenizer.ggml.model '" + kind +
                     "' is not supported (llama: SentencePiece; gpt2: byte-level BPE)");
  if (status s = f.get_strings("tokenizer.ggml.tokens", v.pieces); !s.ok()) return s;
  if (kind == "llama")
    for (auto& piece : v.pieces) piece = from_sentencepiece(std::move(piece));
  if (status s = read_token_properties(f, v); !s.ok()) return s;
  if (kind == "gpt2")
    if (status s = read_byte_bpe(f, v); !s.ok()) return s;
  if (f.find("tokenizer.ggml.add_bos_token") != nullptr)
    if (status s = f.get_bool("tokenizer.ggml.add_bos_token", v.add_bos); !s.ok()) return s;
  if (f.find("tokenizer.chat_template") != nullptr)
    if (status s = f.get_string("tokenizer.chat_template", v.chat_template); !s.ok()) return s;
  if (f.find("tokenizer.ggml.eot_token_id") != nullptr)
    if (status s = read_special_token(f, "tokenizer.ggml.eot_token_id", -1, v.eot_id, v.size()); !s.ok()) return s;
  if (status s = read_special_token(f, "tokenizer.ggml.bos_token_id", 1, v.bos_id, v.size()); !s.ok()) return s;
  if (status s = read_special_token(f, "tokenizer.ggml.eos_token_id", 2, v.eos_id, v.size()); !s.ok()) return s;
  return read_special_token(f, "tokenizer.ggml.unknown_token_id", 0, v.unk_id, v.size());
}

// Where one GGUF tensor goes in host_weights, and the shape it must have:
// norms are widened into fp32 storage, matrices viewed where they lie.
struct tensor_slot {
  std::string name;
  std::vector<std::uint64_t> dims;  // ggml order: a row-major [out, in] matrix is {in, out}
  int layer;                        // -1 for whole-model tensors
  float* host_weights::*global_norm = nullptr;
  weight_matrix host_weights::*global_matrix = nullptr;
  float* layer_weights::*norm = nullptr;
  weight_matrix layer_weights::*matrix = nullptr;
};

struct layer_slot {
  const char* suffix;
  std::vector<std::uint64_t> dims;
  float* layer_weights::*norm;
  weight_matrix layer_weights::*matrix;
};

std::vector<tensor_slot> tensor_plan(const model_config& c) {
  const std::uint64_t d = c.dim, h = c.hidden_dim, kv = c.kv_dim(), v = c.vocab_size;
  std::vector<tensor_slot> plan = {
      {"token_embd.weight", {d, v}, -1, nullptr, &host_weights::token_embedding},
      {"output_norm.weight", {d}, -1, &host_weights::rms_final, nullptr},
  };
  if (!c.shared_classifier) plan.push_back({"output.weight", {d, v}, -1, nullptr, &host_weights::wcls});
  const std::array<layer_slot, 9> per_layer = {{
      {"attn_norm", {d}, &layer_weights::rms_att, nullptr},
      {"attn_q", {d, d}, nullptr, &layer_weights::wq},
      {"attn_k", {d, kv}, nullptr, &layer_weights::wk},
      {"attn_v", {d, kv}, nullptr, &layer_weights::wv},
      {"attn_output", {d, d}, nullptr, &layer_weights::wo},
      {"ffn_norm", {d}, &layer_weights::rms_ffn, nullptr},
      {"ffn_gate", {d, h}, nullptr, &layer_weights::w1},
      {"ffn_down", {h, d}, nullptr, &layer_weights::w2},
      {"ffn_up", {d, h}, nullptr, &layer_weights::w3},
  }};
  const std::array<layer_slot, 3> biases = {{
      {"attn_q", {d}, &layer_weights::bq, nullptr},
      {"attn_k", {kv}, &layer_weights::bk, nullptr},
      {"attn_v", {kv}, &layer_weights::bv, nullptr},
  }};
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string prefix = "blk." + std::to_string(l) + ".";
    for (const auto& s : per_layer)
      plan.push_back({prefix + s.suffix + ".weight", s.dims, l, nullptr, nullptr, s.norm, s.matrix});
    if (c.qkv_bias)
      for (const auto& s : biases)
        plan.push_back({prefix + s.suffix + ".bias", s.dims, l, nullptr, nullptr, s.norm, nullptr});
  }
  return plan;
}

// Runs before allocating, so the weights' size is bounded by the file's.
status check_tensors(const gguf::file& f, const std::vector<tensor_slot>& plan) {
  for (const auto& slot : plan) {
    const gguf::tensor_info* t = f.find_tensor(slot.name);
    if (t == nullptr) return f.invalid("missing tensor '" + slot.name + "'");
    if (t->dims != slot.dims)
      return f.invalid("tensor '" + slot.name + "' has shape " + gguf::format_dims(t->dims) + ", expected " +
                       gguf::format_dims(slot.dims) + " (ggml order: a matrix [out, in] is [in, out])");
  }
  return status::ok_status();
}

// Widens a norm into `w`'s storage, or points a matrix at the tensor's blocks.
void place(const tensor_slot& slot, const gguf::tensor_info& t, host_weights& w) {
  layer_weights* l = slot.layer >= 0 ? &w.layers[static_cast<std::size_t>(slot.layer)] : nullptr;
  if (slot.global_norm != nullptr || slot.norm != nullptr) {
    gguf::dequantize(t.type, t.data, l != nullptr ? l->*slot.norm : w.*slot.global_norm, t.n_elements);
    return;
  }
  weight_matrix& m = l != nullptr ? l->*slot.matrix : w.*slot.global_matrix;
  m = {t.type, t.data, std::int64_t(t.dims[1]), std::int64_t(t.dims[0])};
}

}  // namespace

status load_gguf(const std::string& path, model& out) {
  auto f = gguf::file::open(path);
  if (!f.ok()) return f.error();
  model_config c;
  vocab v;
  std::string arch;
  if (status s = read_config(*f, c, arch); !s.ok()) return s;
  if (status s = read_vocab(*f, v); !s.ok()) return s;
  if (status s = read_rope_factors(*f, c); !s.ok()) return s;
  c.vocab_size = v.size();
  c.shared_classifier = f->find_tensor("output.weight") == nullptr;
  if (status s = c.validate(); !s.ok()) return f->invalid(s.message());
  // The plan names 9 tensors a layer (12 with biases): a block count the
  // file's tensors cannot back must not size it (a hostile count would
  // exhaust memory).
  const std::uint64_t kPerLayer = c.qkv_bias ? 12 : 9;
  if (std::uint64_t(c.n_layers) > f->tensors().size() / kPerLayer)
    return f->invalid(arch + ".block_count " + std::to_string(c.n_layers) + " needs " + std::to_string(kPerLayer) +
                      " tensors a layer; the file has " + std::to_string(f->tensors().size()) + " tensors");
  const std::vector<tensor_slot> plan = tensor_plan(c);
  if (status s = check_tensors(*f, plan); !s.ok()) return s;

  auto mapping = std::make_shared<const gguf::file>(std::move(*f));
  auto w = std::make_shared<host_weights>(c, mapping);
  for (const auto& slot : plan) place(slot, *mapping->find_tensor(slot.name), *w);
  if (c.shared_classifier) w->wcls = w->token_embedding;
  out.config = c;
  out.vocab = std::move(v);
  out.weights = std::move(w);
  return status::ok_status();
}

status_or<vocab> load_gguf_vocab(const std::string& path) {
  auto f = gguf::file::open(path);
  if (!f.ok()) return f.error();
  vocab v;
  if (status s = read_vocab(*f, v); !s.ok()) return s;
  return v;
}

}  // namespace binserve
