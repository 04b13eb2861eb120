// The order of a Llama checkpoint's tensors (llama2.c's), which the host
// weights (gpu/host_weights.cpp) and the device weights
// (gpu/cuda/device_weights.cpp) both walk: the token embedding; each
// per-layer kind of kLayerTensors stacked over the layers (rms_att of every
// layer, then wq of every layer, ...); the final norm; the Q/K/V biases when
// the model has them (host only: no llama2.c checkpoint does); the
// classifier when it is not the embedding. The dummy weights number their
// matrices in another order, per layer: embedding 0, then each layer's
// matrices in kLayerTensors order, then the classifier.
#pragma once

#include <array>
#include <cassert>
#include <cmath>
#include <cstdint>

#include "gpu/model_config.hpp"

namespace binserve {

enum class layer_tensor { rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3 };

inline constexpr std::array<layer_tensor, 9> kLayerTensors = {
    layer_tensor::rms_att, layer_tensor::wq, layer_tensor::wk, layer_tensor::wv, layer_tensor::wo,
    layer_tensor::rms_ffn, layer_tensor::w1, layer_tensor::w2, layer_tensor::w3};

inline bool is_norm(layer_tensor t) { return t == layer_tensor::rms_att || t == layer_tensor::rms_ffn; }

// [rows, cols] of a matrix ([out_features, in_features]); a norm is [dim, 1].
struct tensor_shape {
  std::int64_t rows = 0, cols = 0;
  std::int64_t elements() const { return rows * cols; }
};

inline tensor_shape shape_of(layer_tensor t, const model_config& c) {
  const std::int64_t d = c.dim, h = c.hidden_dim, kv = c.kv_dim();
  switch (t) {
    case layer_tensor::wk:
    case layer_tensor::wv:
      return {kv, d};
    case layer_tensor::w1:
    case layer_tensor::w3:
      return {h, d};
    case layer_tensor::w2:
      return {d, h};
    case layer_tensor::wq:
    case layer_tensor::wo:
      return {d, d};
    case layer_tensor::rms_att:
    case layer_tensor::rms_ffn:
      break;
  }
  return {d, 1};
}

// A dummy matrix's values are uniform in [-scale, scale]: 1/sqrt(in
// features), so activations keep their scale (the embedding's are O(1), as
// trained ones are).
inline float dummy_scale(std::int64_t in_features) { return 1.0f / std::sqrt(float(in_features)); }

// The member of a layer (host layer_weights, device_layer: the same names)
// that holds norm `t` / matrix `t`.
template <class Layer>
auto& norm_member(Layer& l, layer_tensor t) {
  assert(is_norm(t) && "a matrix is not a norm");
  return t == layer_tensor::rms_att ? l.rms_att : l.rms_ffn;
}
template <class Layer>
auto& matrix_member(Layer& l, layer_tensor t) {
  switch (t) {
    case layer_tensor::wq:
      return l.wq;
    case layer_tensor::wk:
      return l.wk;
    case layer_tensor::wv:
      return l.wv;
    case layer_tensor::wo:
      return l.wo;
    case layer_tensor::w1:
      return l.w1;
    case layer_tensor::w2:
      return l.w2;
    case layer_tensor::w3:
    case layer_tensor::rms_att:
    case layer_tensor::rms_ffn:
      break;
  }
  assert(t == layer_tensor::w3 && "a norm is not a matrix");
  return l.w3;
}

}  // namespace binserve
