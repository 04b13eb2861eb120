#include "predict/dataset.hpp"

#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "gpu/model.hpp"
#include "tests/test_paths.hpp"

namespace binserve {
namespace {

// A file in the temp folder holding `text`, removed with the object.
class temp_file {
 public:
  explicit temp_file(const std::string& text)
      : path_(std::filesystem::temp_directory_path() /
              ("binserve_dataset_" + std::to_string(getpid()) + "_" + std::to_string(next_++))) {
    std::ofstream(path_) << text;
  }
  ~temp_file() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int next_ = 0;
  std::filesystem::path path_;
};

const tokenizer& dummy_tokenizer() {
  static const tokenizer tok(make_dummy_vocab(300));
  return tok;
}

status load_error(const std::string& text) {
  const temp_file f(text);
  auto d = load_dataset(f.path(), dummy_tokenizer());
  EXPECT_FALSE(d.ok()) << text;
  return d.ok() ? status() : d.error();
}

TEST(Dataset, JsonlGivesPromptIdsAndLengthSkippingBlankLines) {
  const temp_file f("{\"prompt\": \"hello world\", \"length\": 12}\n\n  \n{\"prompt\": \"\", \"length\": 0}\n");
  auto d = load_dataset(f.path(), dummy_tokenizer());
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ((*d)[0].prompt, "hello world");
  EXPECT_EQ((*d)[0].length, 12);
  EXPECT_EQ((*d)[0].prompt_ids, dummy_tokenizer().encode("hello world"));
  EXPECT_EQ((*d)[0].prompt_ids.front(), dummy_tokenizer().vocab().bos_id);
  EXPECT_EQ((*d)[1].length, 0);
}

TEST(Dataset, MalformedJsonlLineIsAnErrorNamingFileAndLine) {
  const status s = load_error("{\"prompt\": \"a\", \"length\": 1}\n\n{\"prompt\": \"b\", \"length\": \n");
  EXPECT_EQ(s.code(), error_code::invalid_argument);
  EXPECT_NE(s.message().find(":3: not valid JSON"), std::string::npos) << s.message();
}

TEST(Dataset, MissingOrMistypedFieldIsAnErrorNamingTheLine) {
  status s = load_error("{\"prompt\": \"a\", \"length\": 1}\n{\"prompt\": \"b\"}\n");
  EXPECT_EQ(s.code(), error_code::invalid_argument);
  EXPECT_NE(s.message().find(":2: lacks an integer field 'length'"), std::string::npos) << s.message();
  s = load_error("{\"prompt\": 7, \"length\": 1}\n");
  EXPECT_NE(s.message().find(":1: lacks a string field 'prompt'"), std::string::npos) << s.message();
  s = load_error("{\"prompt\": \"a\", \"length\": 2.5}\n");
  EXPECT_NE(s.message().find(":1: lacks an integer field 'length'"), std::string::npos) << s.message();
  s = load_error("\"just a string\"\n");
  EXPECT_NE(s.message().find(":1: expected a JSON object"), std::string::npos) << s.message();
}

TEST(Dataset, NegativeOrHugeLengthIsAnErrorNamingTheLine) {
  status s = load_error("{\"prompt\": \"a\", \"length\": 1}\n{\"prompt\": \"b\", \"length\": -3}\n");
  EXPECT_EQ(s.code(), error_code::invalid_argument);
  EXPECT_NE(s.message().find(":2: 'length' must not be negative"), std::string::npos) << s.message();
  s = load_error("{\"prompt\": \"a\", \"length\": 9999999999}\n");
  EXPECT_NE(s.message().find(":1: 'length' is too large"), std::string::npos) << s.message();
}

TEST(Dataset, MissingFileIsAnIoError) {
  auto d = load_dataset("/nonexistent/data.jsonl", dummy_tokenizer());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), error_code::io_error);
}

TEST(Dataset, AlpacaRecordLackingAFieldIsAnErrorNamingItsIndex) {
  const status s = load_error(R"(  [{"instruction": "a", "input": "", "output": "b"},
                                   {"instruction": "c"}])");
  EXPECT_EQ(s.code(), error_code::invalid_argument);
  EXPECT_NE(s.message().find("record 1: lacks a string field 'output'"), std::string::npos) << s.message();
}

TEST(Dataset, AlpacaDemoGivesInstructionInputPromptsAndOutputTokenLengths) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  BINSERVE_REQUIRE_SHARED("data/alpaca_en_demo.json");
  auto m = load_model(testing::shared_path("models/stories260K.bin"));
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  const tokenizer tok(m->vocab);
  const std::string path = testing::shared_path("data/alpaca_en_demo.json");
  auto d = load_dataset(path, tok);
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  ASSERT_EQ(d->size(), 999u);
  for (const example& e : *d) EXPECT_GT(e.length, 0) << e.prompt;
  EXPECT_EQ((*d)[0].prompt, "Describe a process of making crepes.");
  EXPECT_EQ((*d)[0].prompt_ids, tok.encode("Describe a process of making crepes."));

  // Every record, read independently: prompt = instruction [+ "\n" + input].
  std::ifstream in(path);
  const auto records = nlohmann::json::parse(in);
  int with_input = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const std::string input = records[i]["input"];
    with_input += !input.empty();
    const std::string instruction = records[i]["instruction"];
    EXPECT_EQ((*d)[i].prompt, input.empty() ? instruction : instruction + "\n" + input);
    EXPECT_EQ((*d)[i].length, int(tok.encode(records[i]["output"].get<std::string>(), false).size()));
  }
  EXPECT_GT(with_input, 0);
}

std::vector<example> numbered_prompts(int n) {
  std::vector<example> all;
  for (int i = 0; i < n; ++i) all.push_back({"prompt number " + std::to_string(i), {}, i});
  return all;
}

TEST(Dataset, SplitIsDeterministicByPromptAndNearTheFraction) {
  std::vector<example> all = numbered_prompts(10000);
  all.push_back(all[17]);  // a duplicate prompt
  const dataset_split a = split_dataset(all, 0.2), b = split_dataset(all, 0.2);
  ASSERT_EQ(a.test.size(), b.test.size());
  for (size_t i = 0; i < a.test.size(); ++i) EXPECT_EQ(a.test[i].prompt, b.test[i].prompt);
  EXPECT_EQ(a.train.size() + a.test.size(), all.size());
  EXPECT_NEAR(double(a.test.size()) / all.size(), 0.2, 0.02);

  std::set<std::string> test_prompts;
  for (const example& e : a.test) test_prompts.insert(e.prompt);
  for (const example& e : a.train) EXPECT_EQ(test_prompts.count(e.prompt), 0u) << e.prompt;
}

TEST(Dataset, SplitFractionsZeroAndOneTakeNothingAndEverything) {
  const std::vector<example> all = numbered_prompts(500);
  EXPECT_TRUE(split_dataset(all, 0.0).test.empty());
  EXPECT_TRUE(split_dataset(all, 1.0).train.empty());
}

}  // namespace
}  // namespace binserve
