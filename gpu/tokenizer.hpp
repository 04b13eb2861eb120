// The tokenizer of a vocabulary: SentencePiece-style BPE with byte fallback
// (the Llama 2 scheme, as llama2.c implements it), or byte-level BPE
// (gpu/bpe_tokenizer.hpp) for a byte_bpe vocabulary. Encodes text to token
// ids and decodes ids back.
//
// Immutable after construction; safe to share across threads.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "binserve/status.hpp"
#include "gpu/bpe_tokenizer.hpp"
#include "gpu/vocab.hpp"

namespace binserve {

// A special token's text as written in prompts: its piece less the newlines
// llama2.c's exporter puts around BOS and EOS ("\n<s>\n" -> "<s>").
std::string_view special_text(std::string_view piece);

class tokenizer {
 public:
  // Precondition for byte_bpe: bpe_tokenizer::make accepts the vocabulary
  // (the GGUF loader checks it); else std::invalid_argument.
  explicit tokenizer(struct vocab v);

  // Encodes `text`: BOS first when `add_bos` and the vocabulary's add_bos.
  // sentencepiece: a leading space (SentencePiece's dummy prefix) when `text`
  // is not empty, then greedy BPE: start from one token per UTF-8 code point
  // (a code point with no piece becomes its byte tokens), repeatedly merge
  // the adjacent pair whose merged piece has the highest score. byte_bpe:
  // bpe_tokenizer::encode (control tokens' text becomes their ids). Never
  // fails: every byte has a token.
  std::vector<int> encode(std::string_view text, bool add_bos = true) const;

  // The bytes token `id` contributes to the text when it follows `prev`:
  // byte tokens give their raw byte, control tokens give "", and (sentencepiece)
  // the leading space of a piece right after BOS is dropped. Ids outside the
  // vocabulary give "". May be part of a UTF-8 sequence.
  std::string decode_piece(int prev, int id) const;

  // The text of `ids` (as produced by decode_piece in sequence, with the
  // token before ids[0] taken to be `prev`).
  std::string decode(const std::vector<int>& ids, int prev) const;

  const struct vocab& vocab() const { return vocab_; }

 private:
  int lookup(std::string_view piece) const;  // -1 when absent

  struct vocab vocab_;
  std::shared_ptr<const bpe_tokenizer> bpe_;        // byte_bpe only
  std::unordered_map<std::string, int> piece_ids_;  // normal pieces only
  int byte_ids_[256];                               // token id of each byte's fallback token, -1 if none
};

// Reads a llama2.c tokenizer file: int32 max_token_length, then per token
// float32 score, int32 length, bytes. `vocab_size` is the model's (the file
// does not store it). Pieces "<0xXX>" become byte tokens, "<s>" and "</s>"
// control tokens, "<unk>" unknown.
// Errors: io_error, model_invalid (truncated, negative or oversized length).
status_or<struct vocab> load_llama2c_vocab(const std::string& path, int vocab_size);

// A vocabulary for dummy models: <unk>, <s>, </s>, the 256 byte tokens, then
// synthetic pieces (" w259", " w260", ...) up to `vocab_size` (>= 259).
struct vocab make_dummy_vocab(int vocab_size);

}  // namespace binserve
