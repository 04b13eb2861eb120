// Byte-level BPE, the GPT-2 family's tokenizer (GGUF tokenizer.ggml.model
// "gpt2": Llama 3, Qwen2, SmolLM2, Mistral-Nemo): text -> ids -> bytes.
//
// Encoding: the text is cut at every special token's literal text (each
// becomes its id); each piece between is split by the pre-tokenizer regex
// the vocabulary names (tokenizer.ggml.pre), each word's UTF-8 bytes are
// written as GPT-2's byte-level characters (every byte one printable code
// point), and a word that is itself a token is that token; otherwise its
// characters are merged pair by pair, always the adjacent pair of lowest
// merge rank (all its occurrences, left to right), and the parts become ids.
// Decoding maps each token's characters back to the bytes they stand for
// (a special token: its text), so any id sequence decodes to bytes, which
// need not be whole UTF-8 characters at a token boundary.
//
// Thread-safe after construction: encode and decode are const.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "binserve/status.hpp"

namespace binserve {

struct bpe_vocab {
  std::vector<std::string> tokens;  // id -> text in byte-level characters (a special token: its text)
  std::vector<std::string> merges;  // rank -> "left right"
  std::vector<int> specials;        // ids matched literally in the text (control and user-defined tokens)
  std::string pre = "llama-bpe";    // the pre-tokenizer: llama-bpe, qwen2, smollm, gpt-2
};

class bpe_tokenizer {
 public:
  // Errors (invalid_argument): an unknown pre-tokenizer, a merge that is not
  // two space-separated parts, a special id outside the vocabulary.
  static status_or<bpe_tokenizer> make(bpe_vocab v);
  // make()'s checks of the pre-tokenizer and the merges, without building
  // anything (a loader's check of a vocabulary it does not tokenize with).
  static status check(std::string_view pre, std::span<const std::string> merges);

  std::vector<int> encode(std::string_view text) const;
  std::string decode(std::span<const int> ids) const;  // bytes; unknown ids are skipped
  // The pre-tokenizers make() knows, for error messages and docs.
  static std::string pre_tokenizer_names();

 private:
  struct compiled;  // the PCRE2 pattern
  bpe_tokenizer() = default;
  void encode_word(std::string_view word, std::vector<int>& out) const;

  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int> ids_;
  std::unordered_map<std::string, int> ranks_;  // "left right" -> rank
  std::vector<int> specials_;                   // longest text first
  std::vector<bool> is_special_;
  std::shared_ptr<const compiled> pattern_;
};

}  // namespace binserve
