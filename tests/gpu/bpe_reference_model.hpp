// A one-layer model around a reference tokenizer's vocabulary, as
// tests/tokenizer_ref/export.mjs exports it ({tokens, merges, pre, specials,
// user_defined (added tokens), bos, eos, eot}): what the BPE and chat-serving tests write into a GGUF
// with binserve's own writer and load back.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gpu/host_weights.hpp"
#include "gpu/model.hpp"

namespace binserve::testing {

inline model bpe_reference_model(const nlohmann::json& ref) {
  model m;
  m.vocab.scheme = vocab_scheme::byte_bpe;
  m.vocab.pieces = ref.at("tokens").get<std::vector<std::string>>();
  m.vocab.merges = ref.at("merges").get<std::vector<std::string>>();
  m.vocab.pre = ref.at("pre").get<std::string>();
  m.vocab.scores.assign(m.vocab.pieces.size(), 0.0f);
  m.vocab.kinds.assign(m.vocab.pieces.size(), token_kind::normal);
  for (int id : ref.at("specials").get<std::vector<int>>()) m.vocab.kinds[std::size_t(id)] = token_kind::control;
  for (int id : ref.value("user_defined", std::vector<int>{}))
    m.vocab.kinds[std::size_t(id)] = token_kind::user_defined;
  m.vocab.bos_id = ref.at("bos"), m.vocab.eos_id = ref.at("eos"), m.vocab.eot_id = ref.at("eot"), m.vocab.unk_id = 0;
  m.config = *model_preset("stories260k");
  m.config.dim = 16, m.config.hidden_dim = 16, m.config.n_layers = 1, m.config.n_heads = 2, m.config.n_kv_heads = 2;
  m.config.vocab_size = m.vocab.size();
  auto w = std::make_shared<host_weights>(m.config);
  fill_dummy_weights(m.config, 1, *w);
  m.weights = std::move(w);
  return m;
}

}  // namespace binserve::testing
