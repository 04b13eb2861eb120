// A loaded model: its shape, tokenizer vocabulary, stop tokens and weights.
//
// `load_model` is the single entry point behind every `--model` argument:
//   path/to/model.bin        llama2.c checkpoint (+ tokenizer file)
//   path/to/model.gguf       GGUF v3 (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K), mapped
//   dummy:PRESET[,ctx=N][,seed=S][,layers=N][,type=T]
//                            random weights with a real model's shape (or
//                            its first N layers: a layer's cost, measured
//                            where the whole model does not fit); with a
//                            type (Q4_K, ...) made on the host in it at load
//   dummy:custom,dim=N,hidden=N,layers=N,heads=N,vocab=N[,kv_heads=N]...
//                            any shape
// A `model` is immutable after loading and shared by every backend.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "binserve/status.hpp"
#include "gpu/host_weights.hpp"
#include "gpu/model_config.hpp"
#include "gpu/vocab.hpp"

namespace binserve {

struct model {
  std::string source;  // what was loaded, for messages ("stories260K.bin")
  model_config config;
  struct vocab vocab;
  std::vector<int> stop_tokens;  // generation ends when one is sampled

  // Weights on the host; null for dummy models without a type, whose
  // weights each backend generates itself from `dummy_seed`
  // (fill_dummy_weights).
  std::shared_ptr<const host_weights> weights;
  std::uint64_t dummy_seed = 0;

  bool is_dummy() const { return weights == nullptr; }
};

struct model_options {
  std::string tokenizer_path;    // llama2.c only; default: tokenizer.bin or tok<vocab>.bin beside the model
  std::vector<int> stop_tokens;  // empty: the model's BOS and EOS
  std::string format = "auto";   // auto (GGUF magic decides) | llama2c | gguf: the file must be it
};

// Errors: io_error (missing/unreadable file), model_invalid (truncated,
// wrong magic, inconsistent sizes, unsupported tensor type; the message
// names the file and what is wrong), invalid_argument (bad dummy spec).
status_or<model> load_model(const std::string& spec, const model_options& options = {});

}  // namespace binserve
