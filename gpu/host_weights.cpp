#include "gpu/host_weights.hpp"

#include <cmath>

#include "gpu/dummy_weight.hpp"

namespace binserve {

host_weights::host_weights(const model_config& c) {
  const std::int64_t d = c.dim, h = c.hidden_dim, kv = c.kv_dim(), L = c.n_layers;
  const std::int64_t embed = std::int64_t(c.vocab_size) * d;
  storage.assign(static_cast<size_t>(c.n_params()), 0.0f);

  float* next = storage.data();
  auto take = [&next](std::int64_t n) {
    float* p = next;
    next += n;
    return p;
  };
  token_embedding = take(embed);
  layers.resize(static_cast<size_t>(L));
  // Checkpoint order: each tensor kind stacked over all layers.
  for (auto& l : layers) l.rms_att = take(d);
  for (auto& l : layers) l.wq = take(d * d);
  for (auto& l : layers) l.wk = take(kv * d);
  for (auto& l : layers) l.wv = take(kv * d);
  for (auto& l : layers) l.wo = take(d * d);
  for (auto& l : layers) l.rms_ffn = take(d);
  for (auto& l : layers) l.w1 = take(h * d);
  for (auto& l : layers) l.w2 = take(d * h);
  for (auto& l : layers) l.w3 = take(h * d);
  rms_final = take(d);
  wcls = c.shared_classifier ? token_embedding : take(embed);
}

namespace {

void fill(std::uint64_t seed, std::uint64_t tensor, float* p, std::int64_t n,
          float scale) {
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i)
    p[i] = dummy_weight_value(seed, tensor, static_cast<std::uint64_t>(i), scale);
}

void fill_ones(float* p, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) p[i] = 1.0f;
}

}  // namespace

float dummy_weight(std::uint64_t seed, std::uint64_t tensor, std::uint64_t i,
                   float scale) {
  return dummy_weight_value(seed, tensor, i, scale);
}

void fill_dummy_weights(const model_config& c, std::uint64_t seed, host_weights& w) {
  const std::int64_t d = c.dim, h = c.hidden_dim, kv = c.kv_dim();
  const float in_d = 1.0f / std::sqrt(float(d)), in_h = 1.0f / std::sqrt(float(h));
  std::uint64_t t = 0;
  // Embeddings are O(1) like trained ones, so activations have a sane scale.
  fill(seed, t++, w.token_embedding, std::int64_t(c.vocab_size) * d, 1.0f);
  for (size_t l = 0; l < w.layers.size(); ++l) {
    auto& lw = w.layers[l];
    fill_ones(lw.rms_att, d);
    fill_ones(lw.rms_ffn, d);
    fill(seed, t++, lw.wq, d * d, in_d);
    fill(seed, t++, lw.wk, kv * d, in_d);
    fill(seed, t++, lw.wv, kv * d, in_d);
    fill(seed, t++, lw.wo, d * d, in_d);
    fill(seed, t++, lw.w1, h * d, in_d);
    fill(seed, t++, lw.w2, d * h, in_h);
    fill(seed, t++, lw.w3, h * d, in_d);
  }
  fill_ones(w.rms_final, d);
  if (!c.shared_classifier) fill(seed, t++, w.wcls, std::int64_t(c.vocab_size) * d, in_d);
}

}  // namespace binserve
