// binserve predictor eval end to end: its JSON, its table and its errors.
#include <sys/wait.h>
#include <unistd.h>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/run_binserve.hpp"
#include "tests/test_paths.hpp"

namespace binserve {
namespace {

using testing::run_result;

run_result run(const std::string& args) { return testing::run_binserve(args); }

// A JSONL dataset in the temp folder, removed with the object.
class jsonl_file {
 public:
  explicit jsonl_file(const std::string& text)
      : path_(std::filesystem::temp_directory_path() /
              ("binserve_predictor_cli_" + std::to_string(getpid()) + "_" + std::to_string(next_++) + ".jsonl")) {
    std::ofstream(path_) << text;
  }
  ~jsonl_file() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int next_ = 0;
  std::filesystem::path path_;
};

// 300 distinct prompts that all got 40-token answers: the fixed predictor
// (the training median) must then be exact, whatever the split.
std::string constant_length_dataset() {
  std::string text;
  for (int i = 0; i < 300; ++i)
    text += nlohmann::json{{"prompt", "Story number " + std::to_string(i) + " begins"}, {"length", 40}}.dump() + "\n";
  return text;
}

const char* kModel = "--model dummy:stories260k";

TEST(PredictorCli, EvalJsonScoresEachPredictorAndRepeatsTheFirstAtTopLevel) {
  const jsonl_file data(constant_length_dataset());
  auto r = run(std::string("predictor eval ") + kModel + " --data " + data.path() +
               " --predictors fixed,prompt-ratio --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_GT(j.at("n").get<int>(), 30);
  EXPECT_LT(j.at("n").get<int>(), 90);  // about 20% of 300
  ASSERT_EQ(j.at("predictors").size(), 2u);
  const auto& fixed = j["predictors"].at("fixed");
  EXPECT_EQ(fixed.at("mae"), 0.0);
  EXPECT_EQ(fixed.at("acc50"), 1.0);
  EXPECT_EQ(fixed.at("acc100"), 1.0);
  EXPECT_EQ(fixed.at("under_rate"), 0.0);
  for (const char* k : {"2", "4", "8"}) {
    EXPECT_EQ(fixed.at("bin_acc").at(k), 1.0) << k;
    EXPECT_EQ(fixed.at("bin_acc_pm1").at(k), 1.0) << k;
  }
  for (const char* field : {"mae", "acc50", "acc100", "bin_acc", "bin_acc_pm1", "under_rate"})
    EXPECT_EQ(j.at(field), fixed.at(field)) << field;
  const auto& ratio = j["predictors"].at("prompt-ratio");
  EXPECT_GE(ratio.at("mae").get<double>(), 0.0);
  EXPECT_EQ(ratio.at("bin_acc").size(), 3u);
}

TEST(PredictorCli, EvalTablePrintsOneRowPerPredictor) {
  const jsonl_file data(constant_length_dataset());
  auto r = run(std::string("predictor eval ") + kModel + " --data " + data.path() + " --predictors prompt-ratio,fixed");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("MAE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nprompt-ratio "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nfixed "), std::string::npos) << r.out;
}

TEST(PredictorCli, MalformedLineIsAnErrorNamingItAndExitCode1) {
  const jsonl_file data("{\"prompt\": \"a\", \"length\": 3}\n\n{\"prompt\": \"b\", \"length\": oops}\n");
  auto r = run(std::string("predictor eval ") + kModel + " --data " + data.path() + " --predictors fixed --json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("binserve: invalid_argument: " + data.path() + ":3: not valid JSON"), std::string::npos)
      << r.out;
}

TEST(PredictorCli, UnknownPredictorIsAnErrorAndExitCode1) {
  const jsonl_file data(constant_length_dataset());
  auto r = run(std::string("predictor eval ") + kModel + " --data " + data.path() + " --predictors fixed,crystal-ball");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("invalid_argument: predictor 'crystal-ball' is unknown"), std::string::npos) << r.out;
}

// stories260K tells its own stories from its own openings, twice each, with
// its states recorded; eval --trace scores remaining lengths at refresh points.
TEST(PredictorCli, CollectSelfRecordsStatesAndEvalTraceScoresRemainingLengths) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  const std::string model = "--model " + testing::shared_path("models/stories260K.bin") + " --tokenizer " +
                            testing::shared_path("models/tok512.bin") + " --threads 1";
  const jsonl_file data("");
  auto r = run("predictor collect " + model + " --openings 40 --samples 2 --self --state-layers 2,5 --out " +
               data.path() + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::ifstream in(data.path());
  int lines = 0, rows_expected = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j.at("sample").get<int>(), lines % 2);
    EXPECT_EQ(j.at("prompt_index").get<int>(), lines / 2);
    const int length = j.at("length").get<int>();
    // a state at steps 0, 16, ...: up to the length when the stop token was sampled after it
    rows_expected += (j.at("reason") == "stop_token" ? length : length - 1) / 16 + 1;
  }
  EXPECT_GT(lines, 40);  // 40 openings, fewer when some repeat, twice each
  EXPECT_EQ(lines % 2, 0);
  EXPECT_NE(r.out.find(std::to_string(rows_expected) + " state rows"), std::string::npos) << r.out;

  auto e = run("predictor eval " + model + " --data " + data.path() + " --trace " + data.path() +
               ".states --predictors step,floor,probe,probe-raw,fixed --quantile 0.5 --test-fraction 0.3 "
               "--probe-epochs 2 --json");
  std::filesystem::remove(data.path() + ".states");
  ASSERT_EQ(e.exit_code, 0) << e.out;
  const auto j = nlohmann::json::parse(e.out.substr(e.out.find('{')));
  for (const char* name : {"step", "floor", "probe", "probe-raw", "fixed"}) {
    const auto& p = j["predictors"].at(name);
    EXPECT_TRUE(p.at("mae_after").contains("16")) << name;
    EXPECT_TRUE(p.at("kendall_tau_after").contains("32")) << name;
    EXPECT_GE(p.at("mae_all").get<double>(), 0) << name;
    EXPECT_GE(p.at("mae_last64").get<double>(), 0) << name;
  }
  // the best constant per prompt is at least as good as one constant for all
  EXPECT_LE(j["predictors"]["floor"].at("mae").get<double>(), j["predictors"]["step"].at("mae").get<double>());
  EXPECT_EQ(j.at("mae").get<double>(), j["predictors"]["step"].at("mae").get<double>());
}

TEST(PredictorCli, CollectRefusesAStateLayerOutsideTheModelAndNeedsPrompts) {
  const jsonl_file out("");
  auto r = run(std::string("predictor collect ") + kModel + " --openings 2 --self --state-layers 9 --out " +
               out.path() + " 2>&1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("state layer 9 is outside 1..5"), std::string::npos) << r.out;
  r = run(std::string("predictor collect ") + kModel + " --out " + out.path() + " 2>&1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("--prompts or --openings"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace binserve
