// End-to-end engine checks on the real stories260K model against the greedy
// golden of ../shared/models (produced by llama2.c, not by binserve).
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gpu/generate.hpp"
#include "gpu/tokenizer.hpp"
#include "tests/test_paths.hpp"

namespace binserve {
namespace {

struct golden {
  std::vector<int> prompt_ids;
  std::vector<int> generated_ids;  // without the final stop token
};

golden read_golden() {
  std::ifstream in(testing::shared_path("models/stories260K_greedy_once_upon_a_time.json"));
  const auto j = nlohmann::json::parse(in);
  golden g;
  g.prompt_ids = j.at("prompt_ids").get<std::vector<int>>();
  const auto all = j.at("greedy_all_ids").get<std::vector<int>>();
  g.generated_ids.assign(all.begin() + g.prompt_ids.size(), all.end());
  return g;
}

std::unique_ptr<backend> cpu_backend_for(const std::string& path) {
  auto m = load_model(path);
  EXPECT_TRUE(m.ok()) << m.error().to_string();
  auto b = make_backend(std::make_shared<const model>(std::move(*m)), backend_options{});
  EXPECT_TRUE(b.ok()) << b.error().to_string();
  return std::move(*b);
}

generation_request greedy(std::vector<int> prompt, int max_new_tokens = 500) {
  generation_request r;
  r.prompt_ids = std::move(prompt);
  r.max_new_tokens = max_new_tokens;
  return r;
}

void expect_golden(const std::string& model_file) {
  const golden g = read_golden();
  ASSERT_EQ(g.generated_ids.size(), 341u);
  auto b = cpu_backend_for(testing::shared_path(model_file));
  auto out = generate_batch(*b, {greedy(g.prompt_ids)});
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  EXPECT_EQ(out->front().generated_ids, g.generated_ids);
  EXPECT_EQ(out->front().reason, stop_reason::stop_token);  // the model emits BOS
}

TEST(GenerateGolden, Llama2cCheckpointReproducesGreedyGolden) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  expect_golden("models/stories260K.bin");
}

TEST(GenerateGolden, GgufFileReproducesGreedyGolden) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.gguf");
  expect_golden("models/stories260K.gguf");
}

TEST(GenerateGolden, TokenizerEncodesGoldenPrompt) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  auto m = load_model(testing::shared_path("models/stories260K.bin"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(tokenizer(m->vocab).encode("Once upon a time"), read_golden().prompt_ids);
}

TEST(GenerateBatch, EightPromptsTogetherEqualEachAlone) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  auto b = cpu_backend_for(testing::shared_path("models/stories260K.bin"));
  const tokenizer tok(b->served_model().vocab);
  const std::vector<std::string> prompts = {"Once upon a time", "Lily wanted a puppy",      "The sun was hot",
                                            "Tom and Sam",      "One day, a little bird",   "The big red ball",
                                            "Mom said",         "There was a tiny frog who"};
  std::vector<generation_request> batch;
  for (const auto& p : prompts) batch.push_back(greedy(tok.encode(p), 200));
  auto together = generate_batch(*b, batch);
  ASSERT_TRUE(together.ok()) << together.error().to_string();
  std::set<size_t> lengths;
  for (size_t i = 0; i < batch.size(); ++i) {
    auto alone = generate_batch(*b, {batch[i]});
    ASSERT_TRUE(alone.ok());
    EXPECT_EQ((*together)[i].generated_ids, alone->front().generated_ids) << prompts[i];
    EXPECT_EQ((*together)[i].reason, alone->front().reason) << prompts[i];
    lengths.insert(alone->front().generated_ids.size());
  }
  EXPECT_GT(lengths.size(), 1u) << "the batch should mix sequences of different lengths";
  EXPECT_EQ(b->kv().open_sequences(), 0);
}

TEST(GenerateBatch, BatchedWorkCountsSlotsOfFinishedSequences) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  auto b = cpu_backend_for(testing::shared_path("models/stories260K.bin"));
  generation_request short_one = greedy({1, 403}, 500), long_one = greedy({1, 403}, 500);
  short_one.target_length = 3;
  long_one.target_length = 10;
  batch_work work;
  auto out = generate_batch(*b, {short_one, long_one}, {}, &work);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].generated_ids.size(), 3u);
  EXPECT_EQ((*out)[1].generated_ids.size(), 10u);
  EXPECT_EQ((*out)[1].reason, stop_reason::target_length);
  EXPECT_EQ(work.decode_steps, 9);  // the first token comes from the prefill
  EXPECT_EQ(work.useful_tokens, 13);
}

}  // namespace
}  // namespace binserve
