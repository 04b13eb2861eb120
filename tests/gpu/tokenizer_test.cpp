#include "gpu/tokenizer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "tests/test_paths.hpp"

namespace binserve {
namespace {

const char* const kTok512 = "models/tok512.bin";
const char* const kGolden = "models/stories260K_greedy_once_upon_a_time.json";

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string write_temp(const std::string& name, const std::string& bytes) {
  const std::string path = ::testing::TempDir() + "binserve_tok_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// The naive algorithm, written from llama2.c's encode: rescan every adjacent
// pair after each merge. The fast encoder must agree with it exactly.
std::vector<int> naive_encode(const vocab& v, const std::string& text) {
  std::map<std::string, int> normal;
  std::map<int, int> byte_token;
  for (int id = 0; id < v.size(); ++id) {
    if (v.kinds[id] == token_kind::normal) normal.emplace(v.pieces[id], id);
    if (v.kinds[id] == token_kind::byte) {
      byte_token.emplace(std::stoi(v.pieces[id].substr(3, 2), nullptr, 16), id);
    }
  }
  std::vector<int> tokens;
  if (text.empty()) return tokens;
  const std::string s = " " + text;
  for (std::size_t i = 0, len = 1; i < s.size(); i += len, len = 1) {
    while (len < 4 && i + len < s.size() && (s[i + len] & 0xC0) == 0x80) ++len;
    const auto it = normal.find(s.substr(i, len));
    if (it != normal.end()) tokens.push_back(it->second);
    for (std::size_t b = i; it == normal.end() && b < i + len; ++b) {
      tokens.push_back(byte_token.at(static_cast<unsigned char>(s[b])));
    }
  }
  for (;;) {
    int best = -1, best_id = -1;
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
      if (v.kinds[tokens[i]] != token_kind::normal || v.kinds[tokens[i + 1]] != token_kind::normal) continue;
      const auto it = normal.find(v.pieces[tokens[i]] + v.pieces[tokens[i + 1]]);
      if (it == normal.end()) continue;
      if (best < 0 || v.scores[it->second] > v.scores[best_id]) {
        best = static_cast<int>(i);
        best_id = it->second;
      }
    }
    if (best < 0) return tokens;
    tokens[best] = best_id;
    tokens.erase(tokens.begin() + best + 1);
  }
}

// Random text mixing whole pieces of `v`, ASCII, multi-byte UTF-8 and
// arbitrary (often invalid) bytes.
std::string random_text(const vocab& v, std::mt19937& rng) {
  static const char* const kExtras[] = {" ", "\n", "é", "你", "🙂", "\t", "<s>", "  "};
  std::string text;
  const int parts = std::uniform_int_distribution<int>(0, 40)(rng);
  for (int p = 0; p < parts; ++p) {
    const int choice = std::uniform_int_distribution<int>(0, 9)(rng);
    if (choice < 6) {
      const int id = std::uniform_int_distribution<int>(0, v.size() - 1)(rng);
      if (v.kinds[id] == token_kind::normal) text += v.pieces[id];
    } else if (choice < 8) {
      text += kExtras[std::uniform_int_distribution<int>(0, 7)(rng)];
    } else {
      text += static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    }
  }
  return text;
}

// Every string over {a, b, c} of length 1 to 4, scores from a small set so
// that equal scores (ties) are everywhere.
vocab tie_heavy_vocab(std::mt19937& rng) {
  vocab v = make_dummy_vocab(259);
  std::vector<std::string> level = {""};
  for (int len = 1; len <= 4; ++len) {
    std::vector<std::string> next;
    for (const auto& prefix : level) {
      for (char c : std::string("abc")) next.push_back(prefix + c);
    }
    for (const auto& piece : next) {
      v.pieces.push_back(piece);
      v.scores.push_back(static_cast<float>(-std::uniform_int_distribution<int>(0, 2)(rng)));
      v.kinds.push_back(token_kind::normal);
    }
    level = next;
  }
  v.pieces.push_back(" ");
  v.scores.push_back(0);
  v.kinds.push_back(token_kind::normal);
  return v;
}

class Tokenizer : public ::testing::Test {
 protected:
  void SetUp() override {
    BINSERVE_REQUIRE_SHARED(kTok512);
    auto v = load_llama2c_vocab(testing::shared_path(kTok512), 512);
    ASSERT_TRUE(v.ok()) << v.error().to_string();
    tok_.emplace(std::move(v).value());
  }
  const tokenizer& tok() const { return *tok_; }

  std::optional<tokenizer> tok_;
};

TEST_F(Tokenizer, EncodesGoldenPromptExactly) {
  EXPECT_EQ(tok().encode("Once upon a time"), (std::vector<int>{1, 403, 407, 261, 378}));
  EXPECT_EQ(tok().encode("Once upon a time", false), (std::vector<int>{403, 407, 261, 378}));
}

TEST_F(Tokenizer, EncodesEmptyTextAsBosOnly) {
  EXPECT_EQ(tok().encode(""), std::vector<int>{1});
  EXPECT_TRUE(tok().encode("", false).empty());
}

TEST_F(Tokenizer, LoadsLlama2cKindsAndSpecialIds) {
  const vocab& v = tok().vocab();
  ASSERT_EQ(v.size(), 512);
  EXPECT_EQ(v.kinds[0], token_kind::unknown);
  EXPECT_EQ(v.kinds[1], token_kind::control);
  EXPECT_EQ(v.kinds[2], token_kind::control);
  for (int id = 3; id < 259; ++id) EXPECT_EQ(v.kinds[id], token_kind::byte) << id;
  for (int id = 259; id < 512; ++id) EXPECT_EQ(v.kinds[id], token_kind::normal) << id;
  EXPECT_EQ(v.bos_id, 1);
  EXPECT_EQ(v.eos_id, 2);
  EXPECT_EQ(v.unk_id, 0);
}

TEST_F(Tokenizer, DecodeStripsTheSpaceAfterBos) {
  EXPECT_EQ(tok().decode_piece(1, 403), "Once");
  EXPECT_EQ(tok().decode_piece(403, 407), " upon");
  EXPECT_EQ(tok().decode({1, 403, 407, 261, 378}, -1), "Once upon a time");
  EXPECT_EQ(tok().decode({403, 407, 261, 378}, 1), "Once upon a time");
}

TEST_F(Tokenizer, DecodeGivesRawBytesAndNothingForSpecialOrOutOfRangeIds) {
  EXPECT_EQ(tok().decode_piece(403, 13), "\n");
  EXPECT_EQ(tok().decode_piece(403, 3), std::string(1, '\0'));
  for (int id : {0, 1, 2, -1, 512, INT_MAX, INT_MIN}) {
    EXPECT_EQ(tok().decode_piece(403, id), "") << id;
  }
}

TEST_F(Tokenizer, FallsBackToByteTokensForCharactersOutsideTheVocabulary) {
  // " " is piece 410; the emoji's four bytes have no piece.
  EXPECT_EQ(tok().encode("🙂", false), (std::vector<int>{410, 0xF0 + 3, 0x9F + 3, 0x99 + 3, 0x82 + 3}));
  for (const std::string text : {"🙂", "你好", "héllo wörld 你好 🙂\n\ttabs", "a\n\nb"}) {
    EXPECT_EQ(tok().decode(tok().encode(text), -1), text);
  }
}

TEST_F(Tokenizer, RoundTripsPlainText) {
  for (const std::string text :
       {"Once upon a time", "Lily's mom said, \"Hi!\"", " leading", "trailing ", "  two  spaces  ", "x", "~[|]"}) {
    EXPECT_EQ(tok().decode(tok().encode(text), -1), text);
    EXPECT_EQ(tok().decode(tok().encode(text, false), 1), text);
  }
}

TEST_F(Tokenizer, InvalidUtf8FallsBackToBytesAndRoundTrips) {
  const std::string texts[] = {"\xff\xfe", "\x80\x80\x80\x80\x80", "abc\xc3",
                               "\xe4\xbd", std::string("a\0b", 3), "\xf0\x9f\x99\x82\x82\x82"};
  for (const std::string& text : texts) {
    EXPECT_EQ(tok().decode(tok().encode(text), -1), text);
  }
}

TEST_F(Tokenizer, ControlTextInInputIsNotEncodedAsControlTokens) {
  for (const std::string text : {"<s>", "\n<s>\n", "</s>", "\n</s>\n", "<unk>", "<0x41>"}) {
    const std::vector<int> ids = tok().encode(text, false);
    for (int id : ids) {
      EXPECT_EQ(tok().vocab().kinds[id] == token_kind::control, false) << text;
      EXPECT_NE(id, 0) << text;
    }
    EXPECT_NE(ids, std::vector<int>{0x41 + 3});
    EXPECT_EQ(tok().decode(ids, 1), text);
  }
}

TEST_F(Tokenizer, DecodesGoldenStoryToReadableText) {
  BINSERVE_REQUIRE_SHARED(kGolden);
  const auto golden = nlohmann::json::parse(read_bytes(testing::shared_path(kGolden)));
  const auto all = golden.at("greedy_all_ids").get<std::vector<int>>();
  const auto prompt = golden.at("prompt_ids").get<std::vector<int>>();
  ASSERT_EQ(all.size(), prompt.size() + 341);
  const std::vector<int> generated(all.begin() + static_cast<long>(prompt.size()), all.end());
  const std::string story = tok().decode(generated, prompt.back());
  EXPECT_EQ(story.rfind(", there was a little girl named Lily.", 0), 0u) << story;
  for (const char* word : {"park", "ball", "mom", "\"Thank you, Lily!", "good friend."}) {
    EXPECT_NE(story.find(word), std::string::npos) << word;
  }
  EXPECT_EQ(tok().decode(all, -1).rfind("Once upon a time, there was", 0), 0u);
  EXPECT_EQ(tok().decode(tok().encode(story), -1), story);
}

TEST_F(Tokenizer, FastMergeMatchesNaiveReferenceOnRandomText) {
  std::mt19937 rng(20240611);
  for (int i = 0; i < 3000; ++i) {
    const std::string text = random_text(tok().vocab(), rng);
    ASSERT_EQ(tok().encode(text, false), naive_encode(tok().vocab(), text)) << i;
    ASSERT_EQ(tok().decode(tok().encode(text), -1), text) << i;
  }
}

TEST_F(Tokenizer, EncodesLongPromptsLikeTheNaiveReference) {
  std::string text;
  while (text.size() < 4000) text += "Lily and her mom went to the park to play. 🙂\n";
  EXPECT_EQ(tok().encode(text, false), naive_encode(tok().vocab(), text));
  std::string huge;
  for (int i = 0; i < 50; ++i) huge += text;
  EXPECT_EQ(tok().decode(tok().encode(huge), -1), huge);
}

TEST(TokenizerMerge, BreaksScoreTiesTowardTheLeftmostPair) {
  vocab v = make_dummy_vocab(259);
  for (const char* piece : {" ", "a", "b", "ab", "ba"}) {
    v.pieces.push_back(piece);
    v.scores.push_back(-1);
    v.kinds.push_back(token_kind::normal);
  }
  const tokenizer tok(v);
  EXPECT_EQ(tok.encode("aba", false), (std::vector<int>{259, 262, 260}));  // " ", "ab", "a"
}

TEST(TokenizerMerge, FastMergeMatchesNaiveReferenceWhenScoresTie) {
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    const vocab v = tie_heavy_vocab(rng);
    const tokenizer tok(v);
    for (int i = 0; i < 200; ++i) {
      std::string text;
      const int len = std::uniform_int_distribution<int>(0, 30)(rng);
      for (int c = 0; c < len; ++c) text += "abc "[std::uniform_int_distribution<int>(0, 3)(rng)];
      ASSERT_EQ(tok.encode(text, false), naive_encode(v, text)) << round << " " << text;
    }
  }
}

TEST(TokenizerLoad, MissingFileIsIoError) {
  const auto v = load_llama2c_vocab("/nonexistent/binserve/tok.bin", 512);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), error_code::io_error);
  EXPECT_NE(v.error().message().find("/nonexistent/binserve/tok.bin: cannot open"), std::string::npos);
}

TEST(TokenizerLoad, NonPositiveVocabSizeIsInvalidArgument) {
  BINSERVE_REQUIRE_SHARED(kTok512);
  const auto v = load_llama2c_vocab(testing::shared_path(kTok512), 0);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), error_code::invalid_argument);
}

TEST(TokenizerLoad, EveryTruncationIsModelInvalidNamingPathAndToken) {
  BINSERVE_REQUIRE_SHARED(kTok512);
  const std::string bytes = read_bytes(testing::shared_path(kTok512));
  ASSERT_EQ(bytes.size(), 6227u);
  const std::string path = write_temp("truncated.bin", "");
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, cut);
    const auto v = load_llama2c_vocab(path, 512);
    ASSERT_FALSE(v.ok()) << cut;
    EXPECT_EQ(v.error().code(), error_code::model_invalid) << cut;
    const std::string& message = v.error().message();
    EXPECT_EQ(message.rfind(path + ": file is truncated at ", 0), 0u) << message;
    EXPECT_NE(message.find(cut < 4 ? "max_token_length" : "token "), std::string::npos);
  }
  EXPECT_NE(load_llama2c_vocab(path, 512).error().message().find("token 511"), std::string::npos);
  std::filesystem::remove(path);
}

TEST(TokenizerLoad, AcceptsTrailingBytesAndSmallerVocabSize) {
  BINSERVE_REQUIRE_SHARED(kTok512);
  const std::string bytes = read_bytes(testing::shared_path(kTok512));
  const std::string path = write_temp("trailing.bin", bytes + "extra");
  EXPECT_TRUE(load_llama2c_vocab(path, 512).ok());
  const auto small = load_llama2c_vocab(path, 300);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->size(), 300);
  std::filesystem::remove(path);
}

// tok512.bin with token 5's length field replaced by `length`.
std::string with_token5_length(std::int32_t length) {
  std::string bytes = read_bytes(testing::shared_path(kTok512));
  std::size_t offset = 4;
  for (int i = 0; i < 5; ++i) {
    std::int32_t len = 0;
    std::memcpy(&len, bytes.data() + offset + 4, 4);
    offset += 8 + static_cast<std::size_t>(len);
  }
  std::memcpy(bytes.data() + offset + 4, &length, 4);
  return bytes;
}

TEST(TokenizerLoad, NegativeOrOversizedLengthIsModelInvalid) {
  BINSERVE_REQUIRE_SHARED(kTok512);
  for (std::int32_t length : {-1, INT32_MIN, 8, 1 << 21, INT32_MAX}) {
    const std::string path = write_temp("badlen.bin", with_token5_length(length));
    const auto v = load_llama2c_vocab(path, 512);
    ASSERT_FALSE(v.ok()) << length;
    EXPECT_EQ(v.error().code(), error_code::model_invalid);
    EXPECT_EQ(v.error().message().rfind(path + ": token 5 has invalid length", 0), 0u) << v.error().message();
    std::filesystem::remove(path);
  }
}

TEST(TokenizerLoad, LengthAboveOneMebibyteIsModelInvalidWhateverTheHeaderSays) {
  std::string bytes(12, '\0');
  const std::int32_t header[3] = {INT32_MAX, 0, (1 << 20) + 1};  // max, score, length
  std::memcpy(bytes.data(), header, sizeof header);
  const std::string path = write_temp("huge.bin", bytes);
  const auto v = load_llama2c_vocab(path, 1);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), error_code::model_invalid);
  std::filesystem::remove(path);
}

TEST(DummyVocab, HasSpecialsBytesThenSyntheticPieces) {
  const vocab v = make_dummy_vocab(300);
  ASSERT_EQ(v.size(), 300);
  ASSERT_EQ(v.scores.size(), 300u);
  ASSERT_EQ(v.kinds.size(), 300u);
  EXPECT_EQ(v.pieces[0], "<unk>");
  EXPECT_EQ(v.kinds[0], token_kind::unknown);
  EXPECT_EQ(v.pieces[1], "<s>");
  EXPECT_EQ(v.kinds[1], token_kind::control);
  EXPECT_EQ(v.pieces[2], "</s>");
  EXPECT_EQ(v.kinds[2], token_kind::control);
  EXPECT_EQ(v.pieces[3], "<0x00>");
  EXPECT_EQ(v.pieces[0x41 + 3], "<0x41>");
  EXPECT_EQ(v.pieces[258], "<0xFF>");
  for (int id = 3; id < 259; ++id) EXPECT_EQ(v.kinds[id], token_kind::byte);
  EXPECT_EQ(v.pieces[259], " w259");
  EXPECT_EQ(v.pieces[299], " w299");
  EXPECT_EQ(v.scores[299], -299.0f);
  EXPECT_EQ(v.kinds[299], token_kind::normal);
  EXPECT_EQ(v.bos_id, 1);
  EXPECT_EQ(v.eos_id, 2);
  EXPECT_EQ(make_dummy_vocab(10).size(), 259);
}

TEST(DummyVocab, RoundTripsTextThroughByteTokens) {
  const tokenizer tok(make_dummy_vocab(32000));
  EXPECT_EQ(tok.encode("hi"), (std::vector<int>{1, ' ' + 3, 'h' + 3, 'i' + 3}));
  for (const std::string text : {"hello", " w259", "héllo wörld 你好 🙂\n\ttabs", ""}) {
    EXPECT_EQ(tok.decode(tok.encode(text), -1), text);
  }
  EXPECT_EQ(tok.decode_piece(1, 259), "w259");
  EXPECT_EQ(tok.decode_piece(300, 259), " w259");
}

}  // namespace
}  // namespace binserve
