// A tokenizer's vocabulary, as read from a llama2.c tokenizer file or from
// GGUF metadata: SentencePiece-style BPE (Llama 1/2, TinyStories), or
// byte-level BPE (GGUF "gpt2": Llama 3, Qwen2, SmolLM2). Plain data; the
// tokenizer interprets it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace binserve {

enum class token_kind : std::uint8_t {
  normal,   // a text piece, merged by BPE
  byte,     // "<0xXX>": byte fallback for text no piece covers
  control,  // <s>, </s>, ...: never produced by encoding text
  unknown,  // <unk>
  // Text added to the vocabulary (Hugging Face's non-special added tokens,
  // GGUF type 4: <think>, <tool_call>, ...): byte_bpe matches it literally in
  // text and decodes it as that text; sentencepiece takes it as a piece.
  user_defined,
};

enum class vocab_scheme : std::uint8_t {
  sentencepiece,  // pieces in UTF-8, merged by score, byte fallback tokens
  byte_bpe,       // pieces in GPT-2's byte characters, merged by `merges` rank
};

struct vocab {
  vocab_scheme scheme = vocab_scheme::sentencepiece;
  // Indexed by token id; all three have the same size.
  // sentencepiece: raw UTF-8 with a plain ' ' where SentencePiece writes U+2581.
  // byte_bpe: GPT-2's byte characters (a control token: its text).
  std::vector<std::string> pieces;
  std::vector<float> scores;  // sentencepiece: merge priority, higher first
  std::vector<token_kind> kinds;
  std::vector<std::string> merges;  // byte_bpe: rank -> "left right"
  std::string pre;                  // byte_bpe: the pre-tokenizer (gpu/bpe_tokenizer.hpp)
  bool add_bos = true;              // encoding starts with bos_id
  int bos_id = 1;
  int eos_id = 2;
  int unk_id = 0;
  int eot_id = -1;  // end of a chat turn (<|eot_id|>, <|im_end|>); -1: none
  // GGUF tokenizer.chat_template: the Jinja template that formats a chat
  // for this model (chat/chat_template.hpp); empty: none.
  std::string chat_template;

  int size() const { return static_cast<int>(pieces.size()); }
};

}  // namespace binserve
