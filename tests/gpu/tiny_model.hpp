// A tiny model for loader tests and fuzz seeds: 16 wide, a 7-token vocab
// with every token kind, every tensor distinct, and weights that are exact
// in fp16 (multiples of 0.25 in [-12, 12]). A few KB per file.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "gpu/host_weights.hpp"
#include "gpu/model.hpp"

namespace binserve::testing {

inline model tiny_model(bool shared_classifier, int n_layers, int n_ctx) {
  model m;
  model_config& c = m.config;
  c.dim = 16;
  c.hidden_dim = 24;
  c.n_layers = n_layers;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.n_ctx = n_ctx;
  c.shared_classifier = shared_classifier;
  m.vocab.pieces = {"<unk>", "<s>", "</s>", "<0x41>", " a", "b c", " the"};
  m.vocab.scores = {0.0f, 0.0f, 0.0f, 0.0f, -1.0f, -2.5f, -3.0f};
  m.vocab.kinds = {token_kind::unknown, token_kind::control, token_kind::control, token_kind::byte,
                   token_kind::normal,  token_kind::normal,  token_kind::normal};
  c.vocab_size = m.vocab.size();
  auto w = std::make_shared<host_weights>(c);
  for (std::size_t i = 0; i < w->storage.size(); ++i) w->storage[i] = static_cast<float>(i % 97) * 0.25f - 12.0f;
  m.weights = std::move(w);
  return m;
}

// A matrix's values widened to fp32.
inline std::vector<float> values(const weight_matrix& m) {
  std::vector<float> out(std::size_t(m.rows * m.cols));
  for (std::int64_t r = 0; r < m.rows; ++r) m.dequantize_row(r, out.data() + r * m.cols);
  return out;
}

// Every tensor widened to fp32 in llama2.c checkpoint order (host_weights'
// fp32 layout): what `storage` holds when the weights are all fp32.
inline std::vector<float> all_values(const host_weights& w) {
  std::vector<float> out;
  auto put = [&out](const std::vector<float>& v) { out.insert(out.end(), v.begin(), v.end()); };
  auto norm = [&out](const float* p, std::int64_t n) { out.insert(out.end(), p, p + n); };
  const std::int64_t d = w.token_embedding.cols;
  put(values(w.token_embedding));
  for (const auto& l : w.layers) norm(l.rms_att, d);
  for (const auto& l : w.layers) put(values(l.wq));
  for (const auto& l : w.layers) put(values(l.wk));
  for (const auto& l : w.layers) put(values(l.wv));
  for (const auto& l : w.layers) put(values(l.wo));
  for (const auto& l : w.layers) norm(l.rms_ffn, d);
  for (const auto& l : w.layers) put(values(l.w1));
  for (const auto& l : w.layers) put(values(l.w2));
  for (const auto& l : w.layers) put(values(l.w3));
  norm(w.rms_final, d);
  if (w.wcls.data != w.token_embedding.data) put(values(w.wcls));
  return out;
}

}  // namespace binserve::testing
