// binserve's byte-level BPE (gpu/bpe_tokenizer.hpp) against a tokenizer
// others wrote: llama3-tokenizer-js (Llama 3's vocabulary and merges), on the
// 10,000+ strings tests/tokenizer_ref/export.mjs makes (many scripts, code,
// emoji, whitespace runs, digits, special-token text). ctest runs it through
// tests/tokenizer_ref/run.sh, which installs the pinned package with npm and
// exports the reference; run alone, it says so and skips.
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gpu/bpe_tokenizer.hpp"

namespace binserve {
namespace {

TEST(BpeReference, Llama3IdsAndBytesEqualLlama3TokenizerJs) {
  const char* path = std::getenv("BINSERVE_BPE_REFERENCE");
  if (path == nullptr || *path == '\0')
    GTEST_SKIP() << "skipped: needs the reference that tests/tokenizer_ref/run.sh exports with node "
                    "(ctest runs it as BpeReference.Llama3TokenizerJs)";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  const nlohmann::json ref = nlohmann::json::parse(in);
  bpe_vocab v;
  v.tokens = ref.at("tokens").get<std::vector<std::string>>();
  v.merges = ref.at("merges").get<std::vector<std::string>>();
  v.specials = ref.at("specials").get<std::vector<int>>();
  v.pre = ref.at("pre").get<std::string>();
  auto t = bpe_tokenizer::make(v);
  ASSERT_TRUE(t.ok()) << t.error().to_string();
  int same_ids = 0, round_trips = 0, cases = 0, shown = 0;
  for (const auto& c : ref.at("cases")) {
    const std::string text = c.at("text").get<std::string>();
    const std::vector<int> want = c.at("ids").get<std::vector<int>>();
    const std::vector<int> got = t->encode(text);
    ++cases;
    same_ids += got == want;
    round_trips += t->decode(want) == text;
    if (got != want && shown++ < 5) ADD_FAILURE() << "ids differ for " << nlohmann::json(text).dump();
  }
  std::printf("[ reference] %s: %d strings, ids equal on %d, decode(ids) == text on %d\n",
              ref.at("reference").get<std::string>().c_str(), cases, same_ids, round_trips);
  EXPECT_GE(cases, 10000);
  EXPECT_EQ(same_ids, cases);
  EXPECT_EQ(round_trips, cases);
}

}  // namespace
}  // namespace binserve
