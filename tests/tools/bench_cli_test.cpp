// binserve-bench bench end to end on the null backend (the pipeline without a
// model): its JSON rows, CSV, sweeps, rounds, plots and its errors.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/run_binserve.hpp"
#include "tests/test_paths.hpp"

namespace binserve {
namespace {

const std::string kNull = "bench --backend null --model dummy:stories260k --batch 8 ";

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("binserve_bench_cli_" + std::to_string(getpid()) + "_" + name))
      .string();
}

nlohmann::json bench_json(const std::string& args) {
  const auto r = testing::run_binserve_bench(kNull + args + " --json");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_TRUE(j.is_object()) << r.out;
  return j.is_object() ? j : nlohmann::json{{"results", nlohmann::json::array()}};
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

TEST(BenchCli, PoissonRunsGiveEveryFieldAndOneCsvRowPerRun) {
  const std::string csv = temp_path("runs.csv");
  const auto j = bench_json(
      "--workload uniform:1:8 --requests 200 --arrivals poisson:4000 --seed 3 "
      "--policies vanilla,sequence,continuous --csv " +
      csv);
  const auto& rows = j.at("results");
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& row : rows) {
    EXPECT_EQ(row.at("arrivals"), "poisson:4000");
    EXPECT_EQ(row.at("rate"), 4000.0);
    EXPECT_EQ(row.at("completed"), 200);
    EXPECT_GT(row.at("requests_per_s").get<double>(), 0.0);
    EXPECT_GT(row.at("tokens_per_s").get<double>(), row.at("requests_per_s").get<double>());
    EXPECT_GT(row.at("ratio_to_vanilla").get<double>(), 0.0);
    EXPECT_GT(row.at("effective_token_ratio").get<double>(), 0.0);
    EXPECT_EQ(row.at("failure_ratio"), 0.0);
    EXPECT_LE(row.at("latency_p50_ms").get<double>(), row.at("latency_p99_ms").get<double>());
    EXPECT_LE(row.at("ttft_p50_ms").get<double>(), row.at("latency_p99_ms").get<double>());
    // The means of stats (actors/metrics.hpp): a request's first token comes
    // before its end, and its later tokens each take a part of the rest.
    EXPECT_GT(row.at("latency_mean_ms").get<double>(), 0.0);
    EXPECT_LE(row.at("ttft_mean_ms").get<double>(), row.at("latency_mean_ms").get<double>());
    EXPECT_GT(row.at("tpot_mean_ms").get<double>(), 0.0);
    EXPECT_LE(row.at("tpot_mean_ms").get<double>(), row.at("latency_mean_ms").get<double>());
    EXPECT_EQ(row.at("preemptions"), 0) << "none of these policies preempts";
    EXPECT_EQ(row.at("recomputed_tokens"), 0);
  }
  EXPECT_EQ(rows[0].at("run"), "vanilla");
  EXPECT_EQ(rows[0].at("ratio_to_vanilla"), 1.0);
  EXPECT_EQ(rows[0].at("bins"), 1);
  EXPECT_EQ(rows[2].at("bins"), 0);  // continuous: no bins
  const auto lines = lines_of(csv);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].rfind("round,run,policy,predictor,arrivals,rate,bins,requests,completed,", 0), 0u) << lines[0];
  EXPECT_TRUE(lines[0].ends_with(",latency_mean_ms,ttft_mean_ms,tpot_mean_ms,preemptions,recomputed_tokens"))
      << lines[0];
  EXPECT_EQ(lines[2].rfind("1,sequence,sequence,oracle,poisson:4000,4000,", 0), 0u) << lines[2];
  std::filesystem::remove(csv);
}

TEST(BenchCli, BinsSweepGivesOneMultibinRowPerBinCount) {
  const auto j = bench_json(
      "--workload exponential:20 --requests 128 --cap 64 --policies vanilla,multibin "
      "--bins-sweep 1,2,4");
  const auto& rows = j.at("results");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].at("run"), "vanilla");
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(rows[i].at("run"), "multibin");
    EXPECT_EQ(rows[i].at("bins"), 1 << (i - 1));
    EXPECT_EQ(rows[i].at("completed"), 128);
    EXPECT_EQ(rows[i].at("arrivals"), "offline");
    EXPECT_TRUE(rows[i].at("rate").is_null());
  }
}

TEST(BenchCli, SrptRowsCountTheirPreemptions) {
  // One sequence at a time, requests arriving while it runs: every shorter
  // one preempts it.
  const auto r = testing::run_binserve_bench(
      "bench --backend cpu --threads 1 --model dummy:stories260k --batch 1 --max-batch 1 --workload exponential:20 "
      "--requests 64 --cap 64 --policies continuous-srpt --arrivals poisson:500 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto rows = nlohmann::json::parse(r.out).at("results");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("completed"), 64);
  EXPECT_GT(rows[0].at("preemptions").get<int>(), 0);
}

TEST(BenchCli, RoundsInterleaveRunsAndReportTheirSpread) {
  const auto j = bench_json(
      "--workload const:4 --requests 100 --policies vanilla,continuous --repeat 2 "
      "--rates 2000,8000");
  const auto& rows = j.at("results");
  ASSERT_EQ(rows.size(), 8u);
  const char* order[] = {"vanilla", "continuous"};
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(rows[i].at("round"), 1 + i / 4);
    EXPECT_EQ(rows[i].at("rate"), i % 4 < 2 ? 2000.0 : 8000.0);
    EXPECT_EQ(rows[i].at("run"), order[i % 2]);
  }
  ASSERT_EQ(j.at("spread").size(), 4u);
  for (const auto& s : j.at("spread")) {
    EXPECT_EQ(s.at("runs"), 2);
    EXPECT_LE(s.at("requests_per_s_min").get<double>(), s.at("requests_per_s_mean").get<double>());
    EXPECT_LE(s.at("requests_per_s_mean").get<double>(), s.at("requests_per_s_max").get<double>());
  }
  const auto table =
      testing::run_binserve_bench(kNull + "--workload const:4 --requests 50 --policies vanilla --repeat 2");
  ASSERT_EQ(table.exit_code, 0) << table.out;
  EXPECT_NE(table.out.find("x vanilla"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("requests/s over 2 rounds"), std::string::npos) << table.out;
}

TEST(BenchCli, BadSpecsAreClearErrors) {
  const std::pair<std::string, std::string> cases[] = {
      {"--workload const:4 --arrivals burst:3", "'burst:3'"},
      {"--workload uniform:1:4 --arrivals trace", "CSV"},
      {"--workload uniform:4:1", "'uniform:4:1'"},
      {"--workload const:4 --policies vanilla --bins-sweep 1,2", "multibin"},
      {"--workload const:4 --rates 10 --arrivals poisson:5", "--rates"}};
  for (const auto& [args, expected] : cases) {
    const auto r = testing::run_binserve_bench(kNull + args);
    EXPECT_EQ(r.exit_code, 1) << args << "\n" << r.out;
    EXPECT_NE(r.out.find(expected), std::string::npos) << args << "\n" << r.out;
  }
}

TEST(BenchCli, PlotWritesPngsAndTheirScript) {
  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "skipped: gnuplot is not installed (scripts/install-deps.sh installs gnuplot-nox)";
  const std::string dir = temp_path("plots");
  const auto r = testing::run_binserve_bench(kNull +
                                             "--workload const:4 --requests 60 --policies vanilla,multibin "
                                             "--bins-sweep 1,2 --rates 3000,6000 --plot " +
                                             dir);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const std::string png : {"throughput_vs_bins.png", "latency_vs_load.png"}) {
    std::ifstream in(dir + "/" + png, std::ios::binary);
    std::string magic(4, '\0');
    in.read(magic.data(), 4);
    EXPECT_EQ(magic, "\x89PNG") << png;
  }
  std::stringstream script;
  script << std::ifstream(dir + "/bench.gp").rdbuf();
  EXPECT_NE(script.str().find("'multibin, poisson:3000'"), std::string::npos) << script.str();
  EXPECT_NE(script.str().find("'vanilla p99'"), std::string::npos) << script.str();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace binserve

namespace binserve {
namespace {

// stories260K answers its own openings (predictor collect); bench --own-stops
// replays each answer with its recorded seed and sampler, stopping at the
// model's stop tokens: it makes answers of the recorded lengths again.
TEST(BenchCli, OwnStopsReplaysEachRecordedAnswerWithItsSeed) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  const std::string model = testing::shared_path("models/stories260K.bin");
  const std::string data = temp_path("own.jsonl");
  auto c = testing::run_binserve("predictor collect --model " + model +
                                 " --threads 1 --openings 12 --samples 2 --out " + data + " 2>&1");
  ASSERT_EQ(c.exit_code, 0) << c.out;
  long recorded = 0;
  int records = 0;
  for (const std::string& line : lines_of(data))
    recorded += nlohmann::json::parse(line).at("length").get<long>(), ++records;
  const auto r = testing::run_binserve_bench("bench --model " + model + " --length-model " + model +
                                             " --threads 1 --workload " + data +
                                             " --test-fraction 1 --own-stops --temperature 0.8 --top-p 0.9 "
                                             "--policies continuous --batch 8 --max-batch 8 --json");
  std::filesystem::remove(data);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto row = nlohmann::json::parse(r.out).at("results").at(0);
  EXPECT_EQ(row.at("completed").get<int>(), records);
  const double made = row.at("tokens_per_s").get<double>() * row.at("seconds").get<double>();
  EXPECT_EQ(std::lround(made), recorded);
}

TEST(BenchCli, TheProbePredictorNeedsItsModel) {
  const auto r = testing::run_binserve_bench(kNull + "--workload const:4 --policies continuous-srpt:probe");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("needs --probe-model"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace binserve
