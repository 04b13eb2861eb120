// The binserve program end to end: its JSON output and its errors.
#include <sys/wait.h>
#include <array>
#include <cstdio>
#include <memory>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/run_binserve.hpp"
#include "tests/test_paths.hpp"

namespace binserve {
namespace {

using testing::run_result;

run_result run(const std::string& args) { return testing::run_binserve(args); }

// The shipped program serves; the measuring tools are binserve-bench's.
TEST(Cli, TheMeasuringToolsAreBinserveBenchsNotBinserves) {
  for (const char* tool : {"bench", "bench-engine", "sim", "loadgen", "soak"}) {
    const auto in_binserve = run(tool);  // not --help: CLI11 answers that before it reads the subcommand
    EXPECT_NE(in_binserve.exit_code, 0) << tool << ": " << in_binserve.out;
    EXPECT_NE(in_binserve.out.find("A subcommand is required"), std::string::npos) << in_binserve.out;
    const auto in_bench = testing::run_binserve_bench(std::string(tool) + " --help");
    EXPECT_EQ(in_bench.exit_code, 0) << tool << ": " << in_bench.out;
  }
  for (const char* command :
       {"serve", "worker", "client", "stats", "config", "generate", "predictor", "inspect", "quantize"})
    EXPECT_EQ(run(std::string(command) + " --help").exit_code, 0) << command;
}

TEST(Cli, GenerateJsonHasIdsTextAndStopReason) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  auto r = run("generate --model " + testing::shared_path("models/stories260K.bin") +
               " --prompt 'Once upon a time' --max-new-tokens 512 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("prompt_ids"), nlohmann::json({1, 403, 407, 261, 378}));
  EXPECT_EQ(j.at("generated_ids").size(), 341u);
  EXPECT_EQ(j.at("stop_reason"), "stop_token");
  EXPECT_NE(j.at("text").get<std::string>().find("Lily"), std::string::npos);
}

TEST(Cli, GenerateStopsAtMaxNewTokensAndTargetLength) {
  auto r = run("generate --model dummy:stories260k --prompt hi --max-new-tokens 7 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_LE(j.at("generated_ids").size(), 7u);
  r =
      run("generate --model dummy:stories260k --prompt hi --max-new-tokens 64 --target-length 40 "
          "--temperature 0.8 --top-p 0.9 --seed 5 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("generated_ids").size(), 40u);
  EXPECT_EQ(j.at("stop_reason"), "target_length");
}

// Issue 14: a text that is not valid UTF-8 (byte tokens) is JSON with U+FFFD
// for the invalid bytes, never an abort (nlohmann's type_error.316).
TEST(Cli, GenerateJsonReplacesInvalidUtf8InsteadOfAborting) {
  const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD
  // A dummy model greedily repeats the prompt's last token: here the last
  // byte of "本", a lone continuation byte, 64 times.
  auto r = run("generate --model dummy:stories260k --threads 1 --prompt '日本' --max-new-tokens 64 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  EXPECT_EQ(j.at("prompt"), "日本");
  EXPECT_EQ(j.at("text").get<std::string>().substr(0, 3), kReplacement);
  // Sampled, this seed's text is ASCII that ends inside a character: its
  // last token is the byte 0xC7, which starts a two-byte character.
  r =
      run("generate --model dummy:stories260k --threads 1 --prompt hi --max-new-tokens 64 --temperature 2 "
          "--seed 499 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  j = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  EXPECT_EQ(j.at("generated_ids").back(), 3 + 0xC7);  // byte tokens follow <unk>, <s>, </s>
  const std::string text = j.at("text");
  ASSERT_GE(text.size(), 3u);
  EXPECT_EQ(text.substr(text.size() - 3), kReplacement);
  EXPECT_EQ(text.find(kReplacement), text.size() - 3) << "the rest of the text is valid";
}

TEST(Cli, BadModelIsAClearErrorAndExitCode1) {
  auto r = run("generate --model /nonexistent/model.bin --prompt hi");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("io_error"), std::string::npos) << r.out;
  r = run("generate --model dummy:gpt5 --prompt hi");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("stories15m"), std::string::npos) << r.out;
}

TEST(Cli, BenchEngineJsonHasOneRowPerBatch) {
  auto r =
      testing::run_binserve_bench("bench-engine --model dummy:stories260k --batch 1,4 --context 16 --steps 4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.at("results").size(), 2u);
  EXPECT_EQ(j["results"][1]["batch"], 4);
  EXPECT_GT(j["results"][1]["tokens_per_s"].get<double>(), 0.0);
  EXPECT_GT(j["results"][1]["step_ms"].get<double>(), 0.0);
}

}  // namespace
}  // namespace binserve
