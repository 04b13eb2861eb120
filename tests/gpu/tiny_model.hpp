// A tiny model for loader tests and fuzz seeds: 16 wide, a 7-token vocab
// with every token kind, every tensor distinct, and weights that are exact
// in fp16 (multiples of 0.25 in [-12, 12]). A few KB per file.
#pragma once

#include <cstddef>
#include <memory>

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
  m.vocab.kinds = {token_kind::unknown, token_kind::control, token_kind::control,
                   token_kind::byte, token_kind::normal, token_kind::normal, token_kind::normal};
  c.vocab_size = m.vocab.size();
  auto w = std::make_shared<host_weights>(c);
  for (std::size_t i = 0; i < w->storage.size(); ++i)
    w->storage[i] = static_cast<float>(i % 97) * 0.25f - 12.0f;
  m.weights = std::move(w);
  return m;
}

}  // namespace binserve::testing
