#include "gpu/model_config.hpp"

#include <array>

namespace binserve {

namespace {

// The parameter count in 128 bits: a header of huge (corrupt) sizes must not
// overflow before validate() rejects it.
__int128 wide_params(const model_config& c) {
  const __int128 d = c.dim, h = c.hidden_dim, kv = c.kv_dim();
  const __int128 per_layer = 2 * d          // rms_att, rms_ffn
                             + d * d * 2    // wq, wo
                             + d * kv * 2   // wk, wv
                             + d * h * 3;   // w1, w2, w3
  const __int128 embed = __int128(c.vocab_size) * d;
  return embed + c.n_layers * per_layer + d + (c.shared_classifier ? 0 : embed);
}

}  // namespace

std::int64_t model_config::n_params() const { return static_cast<std::int64_t>(wide_params(*this)); }

status model_config::validate() const {
  auto bad = [](const std::string& what) {
    return status(error_code::model_invalid, "model shape: " + what);
  };
  if (dim <= 0 || hidden_dim <= 0 || n_layers <= 0 || n_heads <= 0 ||
      n_kv_heads <= 0 || vocab_size <= 0 || n_ctx <= 0)
    return bad("every size must be positive (dim=" + std::to_string(dim) +
               " hidden_dim=" + std::to_string(hidden_dim) + " n_layers=" +
               std::to_string(n_layers) + " n_heads=" + std::to_string(n_heads) +
               " n_kv_heads=" + std::to_string(n_kv_heads) + " vocab_size=" +
               std::to_string(vocab_size) + " n_ctx=" + std::to_string(n_ctx) + ")");
  if (dim % n_heads != 0)
    return bad("dim " + std::to_string(dim) + " is not a multiple of n_heads " +
               std::to_string(n_heads));
  if (n_heads % n_kv_heads != 0)
    return bad("n_heads " + std::to_string(n_heads) +
               " is not a multiple of n_kv_heads " + std::to_string(n_kv_heads));
  if (head_dim() % 2 != 0) return bad("head_dim must be even for RoPE");
  if (!(norm_eps > 0.0f) || !(rope_theta > 0.0f))
    return bad("norm_eps and rope_theta must be positive");
  if (wide_params(*this) > kMaxParams)
    return bad("more than 2^40 parameters (dim=" + std::to_string(dim) + " hidden_dim=" +
               std::to_string(hidden_dim) + " n_layers=" + std::to_string(n_layers) + " vocab_size=" +
               std::to_string(vocab_size) + "): not a real model");
  return status::ok_status();
}

namespace {

struct preset {
  const char* name;
  model_config config;
};

model_config shape(int dim, int hidden, int layers, int heads, int kv_heads,
                   int vocab, int ctx) {
  model_config c;
  c.dim = dim;
  c.hidden_dim = hidden;
  c.n_layers = layers;
  c.n_heads = heads;
  c.n_kv_heads = kv_heads;
  c.vocab_size = vocab;
  c.n_ctx = ctx;
  return c;
}

// The TinyStories shapes are Karpathy's llama2.c models; their context is
// raised to 1024 because random weights have no trained context and length
// traces (Alpaca: up to 512 new tokens) need room for prompt + response.
const std::array<preset, 6> kPresets = {{
    {"stories260k", shape(64, 172, 5, 8, 4, 512, 512)},
    {"stories15m", shape(288, 768, 6, 6, 6, 32000, 1024)},
    {"stories42m", shape(512, 1376, 8, 8, 8, 32000, 1024)},
    {"stories110m", shape(768, 2048, 12, 12, 12, 32000, 1024)},
    {"llama2-7b", shape(4096, 11008, 32, 32, 32, 32000, 4096)},
    {"llama2-13b", shape(5120, 13824, 40, 40, 40, 32000, 4096)},
}};

}  // namespace

status_or<model_config> model_preset(const std::string& name) {
  for (const auto& p : kPresets)
    if (name == p.name) {
      model_config c = p.config;
      c.shared_classifier = name.rfind("stories", 0) == 0;
      return c;
    }
  return status(error_code::invalid_argument,
                "unknown model preset '" + name + "' (known: " +
                    model_preset_names() + ")");
}

std::string model_preset_names() {
  std::string names;
  for (const auto& p : kPresets) {
    if (!names.empty()) names += ", ";
    names += p.name;
  }
  return names;
}

}  // namespace binserve
