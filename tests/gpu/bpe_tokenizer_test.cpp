// Byte-level BPE's own rules on small vocabularies (the full Llama 3 one is
// checked against llama3-tokenizer-js in bpe_reference_test.cpp).
#include "gpu/bpe_tokenizer.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace binserve {
namespace {

// The 256 byte tokens as GPT-2 writes them (printable bytes as themselves,
// the rest from U+0100 on; token id = byte), then `extra` from id 256.
bpe_vocab byte_vocab(std::vector<std::string> extra = {}, std::vector<std::string> merges = {}) {
  bpe_vocab v;
  int next = 256;
  auto utf8 = [](char32_t cp) {
    std::string s;
    if (cp < 0x80)
      s += char(cp);
    else
      s += char(0xC0 | (cp >> 6)), s += char(0x80 | (cp & 0x3F));
    return s;
  };
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    v.tokens.push_back(utf8(printable ? char32_t(b) : char32_t(next++)));
  }
  for (auto& e : extra) v.tokens.push_back(std::move(e));
  v.merges = std::move(merges);
  v.pre = "gpt-2";
  return v;
}

TEST(BpeTokenizer, EveryByteRoundTrips) {
  auto t = bpe_tokenizer::make(byte_vocab());
  ASSERT_TRUE(t.ok()) << t.error().to_string();
  std::string all;
  for (int b = 1; b < 256; ++b) all += char(b);
  const std::vector<int> ids = t->encode(all);
  EXPECT_EQ(t->decode(ids), all);  // not UTF-8: one word of single bytes
  EXPECT_EQ(ids.size(), all.size());
  EXPECT_EQ(t->decode(t->encode("G\xC3\xA9 \xF0\x9F\x98\x80!")), "G\xC3\xA9 \xF0\x9F\x98\x80!");
}

// The lowest-ranked adjacent pair merges first: "b c" (rank 0) before "a b",
// so "abc" is [a, bc] and "ab" stays whole only when nothing outranks it.
TEST(BpeTokenizer, MergesGoByRank) {
  auto t = bpe_tokenizer::make(byte_vocab({"bc", "ab", "abc"}, {"b c", "a b", "ab c"}));
  ASSERT_TRUE(t.ok()) << t.error().to_string();
  EXPECT_EQ(t->encode("abc"), (std::vector<int>{'a', 256}));
  EXPECT_EQ(t->encode("ab"), (std::vector<int>{257}));
  EXPECT_EQ(t->encode("abab"), (std::vector<int>{257, 257}));
}

// Special tokens are cut out of the text literally, the longest first; the
// text between them is tokenized as usual.
TEST(BpeTokenizer, SpecialTokensAreMatchedLiterally) {
  bpe_vocab v = byte_vocab({"<|end|>", "<|end|>x"});
  v.specials = {256, 257};
  auto t = bpe_tokenizer::make(v);
  ASSERT_TRUE(t.ok()) << t.error().to_string();
  EXPECT_EQ(t->encode("a<|end|>b"), (std::vector<int>{'a', 256, 'b'}));
  EXPECT_EQ(t->encode("<|end|>x"), (std::vector<int>{257}));
  EXPECT_EQ(t->decode(std::vector<int>{256}), "<|end|>");
  const std::vector<int> partial = t->encode("<|end");  // not a special token: plain text
  EXPECT_EQ(std::count(partial.begin(), partial.end(), 256), 0);
  EXPECT_EQ(t->decode(partial), "<|end");
}

TEST(BpeTokenizer, BadVocabulariesAreErrors) {
  bpe_vocab v = byte_vocab();
  v.pre = "falcon";
  auto t = bpe_tokenizer::make(v);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message().find("'falcon' is not supported (llama-bpe, qwen2, gpt-2, smollm)"), std::string::npos)
      << t.error().to_string();
  v = byte_vocab({}, {"nospace"});
  EXPECT_FALSE(bpe_tokenizer::make(v).ok());
  v = byte_vocab();
  v.specials = {999};
  EXPECT_FALSE(bpe_tokenizer::make(v).ok());
}

}  // namespace
}  // namespace binserve
