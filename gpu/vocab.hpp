// A SentencePiece-style BPE vocabulary, as read from a llama2.c tokenizer
// file or from GGUF metadata. Plain data; the tokenizer interprets it.
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
};

struct vocab {
  // Indexed by token id; all three have the same size.
  // Pieces hold raw UTF-8 with a plain ' ' where SentencePiece writes U+2581.
  std::vector<std::string> pieces;
  std::vector<float> scores;  // BPE merge priority: higher merges first
  std::vector<token_kind> kinds;
  int bos_id = 1;
  int eos_id = 2;
  int unk_id = 0;

  int size() const { return static_cast<int>(pieces.size()); }
};

}  // namespace binserve
