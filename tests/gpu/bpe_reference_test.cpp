// binserve's byte-level BPE against tokenizers others wrote:
// llama3-tokenizer-js (Llama 3's vocabulary and merges) and gpt-tokenizer's
// cl100k_base and r50k_base (GPT-2: its pre-tokenizer `gpt-2`), and
// @huggingface/tokenizers with SmolLM2's and Qwen2's pre-tokenizers (`smollm`,
// `qwen2`) over GPT-2's vocabulary, on the 10,000+ strings
// tests/tokenizer_ref/export.mjs makes (many scripts, code, emoji,
// whitespace runs, digits, special-token text). The vocabulary goes into a
// GGUF written by binserve's own writer (tokenizer.ggml.model gpt2, pre
// llama-bpe), which load_model reads back; the model's tokenizer must give the
// reference's ids and decode them to the text. ctest runs it through
// tests/tokenizer_ref/run.sh, which installs the pinned package with npm and
// exports the reference; run alone, it says so and skips.
#include <algorithm>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gpu/gguf_writer.hpp"
#include "gpu/model.hpp"
#include "gpu/tokenizer.hpp"
#include "tests/gpu/bpe_reference_model.hpp"

namespace binserve {
namespace {

// One reference: a one-layer model around its vocabulary, written as a GGUF
// at `gguf_path`, loaded back; its tokenizer against the reference's ids.
void check_reference(const nlohmann::json& ref, const std::string& gguf_path) {
  const model m = testing::bpe_reference_model(ref);
  ASSERT_TRUE(gguf::llama_gguf(m).write(gguf_path).ok());
  auto loaded = load_model(gguf_path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(loaded->vocab.merges.size(), m.vocab.merges.size());
  if (m.vocab.eot_id >= 0) {
    EXPECT_NE(std::find(loaded->stop_tokens.begin(), loaded->stop_tokens.end(), m.vocab.eot_id),
              loaded->stop_tokens.end())
        << "the end-of-turn token stops generation";
  }
  const tokenizer tok(loaded->vocab);
  const tokenizer* t = &tok;
  // Served text leaves control tokens out (decode_piece gives them ""): the
  // text less every special token's literal text.
  std::vector<std::string> special_texts;
  for (int id = 0; id < m.vocab.size(); ++id)
    if (m.vocab.kinds[std::size_t(id)] == token_kind::control) special_texts.push_back(m.vocab.pieces[std::size_t(id)]);
  auto without_specials = [&](const std::string& text) {
    std::string out;
    for (std::size_t at = 0; at < text.size();) {
      const std::string* hit = nullptr;  // the longest special text here
      for (const std::string& s : special_texts)
        if (text.compare(at, s.size(), s) == 0 && (hit == nullptr || s.size() > hit->size())) hit = &s;
      if (hit != nullptr)
        at += hit->size();
      else
        out += text[at++];
    }
    return out;
  };

  int same_ids = 0, round_trips = 0, cases = 0, shown = 0;
  for (const auto& c : ref.at("cases")) {
    const std::string text = c.at("text").get<std::string>();
    const std::vector<int> want = c.at("ids").get<std::vector<int>>();
    const std::vector<int> got = t->encode(text, /*add_bos=*/false);
    ++cases;
    same_ids += got == want;
    round_trips += t->decode(want, -1) == without_specials(text);
    if (got != want && shown++ < 5) ADD_FAILURE() << "ids differ for " << nlohmann::json(text).dump();
  }
  std::printf("[ reference] %s: %d strings, ids equal on %d, decode(ids) == text (less special tokens) on %d\n",
              ref.at("reference").get<std::string>().c_str(), cases, same_ids, round_trips);
  EXPECT_GE(cases, 10000);
  EXPECT_EQ(same_ids, cases);
  EXPECT_EQ(round_trips, cases);
}

TEST(BpeReference, IdsAndBytesEqualLlama3TokenizerJsAndGptTokenizer) {
  const char* path = std::getenv("BINSERVE_BPE_REFERENCE");
  if (path == nullptr || *path == '\0')
    GTEST_SKIP() << "skipped: needs the references that tests/tokenizer_ref/run.sh exports with node "
                    "(ctest runs it as BpeReference.Llama3TokenizerJsAndGptTokenizer)";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  const nlohmann::json refs = nlohmann::json::parse(in).at("references");
  ASSERT_EQ(refs.size(), 5u);
  for (std::size_t i = 0; i < refs.size(); ++i)
    check_reference(refs[i], std::string(path) + "." + std::to_string(i) + ".gguf");
}

}  // namespace
}  // namespace binserve
