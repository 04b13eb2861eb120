#include "gpu/model_config.hpp"

#include <array>
#include <cmath>

#include "gpu/weight_layout.hpp"

namespace binserve {

namespace {

// The parameter count in 128 bits: a header of huge (corrupt) sizes must not
// overflow before validate() rejects it. The layers' tensors are the
// checkpoint layout's (gpu/weight_layout.hpp).
__int128 wide_params(const model_config& c) {
  __int128 per_layer = c.qkv_bias ? c.dim + 2 * __int128(c.kv_dim()) : 0;  // bq, bk, bv
  for (layer_tensor t : kLayerTensors) {
    const tensor_shape s = shape_of(t, c);
    per_layer += __int128(s.rows) * s.cols;
  }
  const __int128 embed = __int128(c.vocab_size) * c.dim;
  return embed + c.n_layers * per_layer + c.dim + (c.shared_classifier ? 0 : embed);  // + the final norm
}

}  // namespace

std::int64_t model_config::n_params() const { return static_cast<std::int64_t>(wide_params(*this)); }

status model_config::validate() const {
  auto bad = [](const std::string& what) { return status(error_code::model_invalid, "model shape: " + what); };
  if (dim <= 0 || hidden_dim <= 0 || n_layers <= 0 || n_heads <= 0 || n_kv_heads <= 0 || vocab_size <= 0 || n_ctx <= 0)
    return bad("every size must be positive (dim=" + std::to_string(dim) + " hidden_dim=" + std::to_string(hidden_dim) +
               " n_layers=" + std::to_string(n_layers) + " n_heads=" + std::to_string(n_heads) +
               " n_kv_heads=" + std::to_string(n_kv_heads) + " vocab_size=" + std::to_string(vocab_size) +
               " n_ctx=" + std::to_string(n_ctx) + ")");
  if (dim % n_heads != 0)
    return bad("dim " + std::to_string(dim) + " is not a multiple of n_heads " + std::to_string(n_heads));
  if (n_heads % n_kv_heads != 0)
    return bad("n_heads " + std::to_string(n_heads) + " is not a multiple of n_kv_heads " + std::to_string(n_kv_heads));
  if (head_dim() % 2 != 0) return bad("head_dim must be even for RoPE");
  if (!(norm_eps > 0.0f) || !(rope_theta > 0.0f)) return bad("norm_eps and rope_theta must be positive");
  if (!rope_freq_factors.empty() && rope_freq_factors.size() != std::size_t(head_dim() / 2))
    return bad("rope_freq_factors has " + std::to_string(rope_freq_factors.size()) + " values for head_dim " +
               std::to_string(head_dim()) + " (want head_dim / 2)");
  for (float f : rope_freq_factors)
    if (!(f > 0.0f) || !std::isfinite(f)) return bad("rope_freq_factors must be positive and finite");
  if (wide_params(*this) > kMaxParams)
    return bad("more than 2^40 parameters (dim=" + std::to_string(dim) + " hidden_dim=" + std::to_string(hidden_dim) +
               " n_layers=" + std::to_string(n_layers) + " vocab_size=" + std::to_string(vocab_size) +
               "): not a real model");
  return status::ok_status();
}

namespace {

struct preset {
  const char* name;
  model_config config;
  bool tied;  // the classifier is the token embedding
};

model_config shape(int dim, int hidden, int layers, int heads, int kv_heads, int vocab, int ctx) {
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

model_config with_rope(model_config c, float theta, rope_style style = rope_style::interleaved) {
  c.rope_theta = theta;
  c.rope = style;
  return c;
}

// Llama 3.2: Llama 3.1's scaling (factor 32, low 1, high 4, from 8192).
model_config llama3_2(model_config c) {
  c = with_rope(c, 500000.0f);
  c.rope_freq_factors = llama3_rope_factors(c.rope_theta, c.head_dim(), 32.0f, 1.0f, 4.0f, 8192);
  return c;
}

model_config qwen2(model_config c) {
  c = with_rope(c, 1000000.0f, rope_style::halves);
  c.qkv_bias = true;
  c.norm_eps = 1e-6f;
  return c;
}

// The TinyStories shapes are Karpathy's llama2.c models; their context is
// raised to 1024 because random weights have no trained context and length
// traces (Alpaca: up to 512 new tokens) need room for prompt + response.
// The others are the published configurations of those models (the
// classifier shared where theirs is tied).
const std::array<preset, 10> kPresets = {{
    {"stories260k", shape(64, 172, 5, 8, 4, 512, 512), true},
    {"stories15m", shape(288, 768, 6, 6, 6, 32000, 1024), true},
    {"stories42m", shape(512, 1376, 8, 8, 8, 32000, 1024), true},
    {"stories110m", shape(768, 2048, 12, 12, 12, 32000, 1024), true},
    {"llama2-7b", shape(4096, 11008, 32, 32, 32, 32000, 4096), false},
    {"llama2-13b", shape(5120, 13824, 40, 40, 40, 32000, 4096), false},
    {"llama3-8b", with_rope(shape(4096, 14336, 32, 32, 8, 128256, 8192), 500000.0f), false},
    {"llama3.2-1b", llama3_2(shape(2048, 8192, 16, 32, 8, 128256, 131072)), true},
    {"qwen2.5-0.5b", qwen2(shape(896, 4864, 24, 14, 2, 151936, 32768)), true},
    {"smollm2-135m", with_rope(shape(576, 1536, 30, 9, 3, 49152, 8192), 100000.0f), true},
}};

}  // namespace

std::vector<float> llama3_rope_factors(float theta, int head_dim, float factor, float low, float high,
                                       int original_ctx) {
  const double kPi = 3.14159265358979323846;
  const double low_wavelength = original_ctx / low, high_wavelength = original_ctx / high;
  std::vector<float> out(static_cast<std::size_t>(head_dim / 2));
  for (int i = 0; i < head_dim / 2; ++i) {
    const double freq = std::pow(double(theta), -2.0 * i / head_dim);
    const double wavelength = 2 * kPi / freq;
    double divisor = 1.0;
    if (wavelength > low_wavelength) {
      divisor = factor;
    } else if (wavelength >= high_wavelength) {
      const double s = (original_ctx / wavelength - low) / (high - low);
      divisor = 1.0 / ((1 - s) / factor + s);
    }
    out[static_cast<std::size_t>(i)] = static_cast<float>(divisor);
  }
  return out;
}

status_or<model_config> model_preset(const std::string& name) {
  for (const auto& p : kPresets)
    if (name == p.name) {
      model_config c = p.config;
      c.shared_classifier = p.tied;
      return c;
    }
  return status(error_code::invalid_argument,
                "unknown model preset '" + name + "' (known: " + model_preset_names() + ")");
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
