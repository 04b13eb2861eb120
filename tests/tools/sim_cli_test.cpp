// binserve-bench sim end to end: the sweep's JSON and its errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/run_binserve.hpp"
#include "tests/test_paths.hpp"

namespace binserve {
namespace {

TEST(SimCli, BinSweepPrintsOneRowPerBinCountWithRatios) {
  const auto r = testing::run_binserve_bench(
      "sim --lengths uniform:1:20 --resolution 10 --batch 16 --bins 1,2,4 --requests 4096 --seed 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  const auto& rows = j.at("results");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].at("bins"), 1);
  EXPECT_DOUBLE_EQ(rows[0].at("ratio_to_1").get<double>(), 1.0);
  double previous = 1.0;
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].at("completed"), 4096);
    EXPECT_GT(rows[i].at("ratio_to_1").get<double>(), previous);  // more bins, less padding
    previous = rows[i].at("ratio_to_1").get<double>();
    EXPECT_GT(rows[i].at("effective_token_ratio").get<double>(), rows[0].at("effective_token_ratio").get<double>());
  }
  EXPECT_EQ(j.at("cost").at("kind"), "unit");
}

TEST(SimCli, MaxRateAndExecutorSweep) {
  const auto r = testing::run_binserve_bench(
      "sim --lengths const:4 --policies vanilla --batch 1 --bins 1 --executors 1,2 --requests 20000 "
      "--max-rate --tolerance 0.01 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto rows = nlohmann::json::parse(r.out).at("results");
  ASSERT_EQ(rows.size(), 2u);
  // One request of 4 unit steps at a time: capacity 0.25 requests/s per
  // executor, which lies in [max_rate (1 - tolerance), max_rate] up to noise.
  EXPECT_GT(rows[0].at("max_rate").get<double>(), 0.25 * 0.98);
  EXPECT_LT(rows[0].at("max_rate").get<double>(), 0.25 / 0.99 * 1.02);
  EXPECT_NEAR(rows[1].at("max_rate_ratio_to_1").get<double>(), 2.0, 0.1);
}

// The means by hand: three requests of 4 tokens arrive at once and run one
// at a time, each step 1 s (the unit cost model). They end at 4, 8 and 12 s
// (mean 8 s), get their first token at 1, 5 and 9 s (mean 5 s), and each
// later token takes 1 s: TPOT (end - first) / (4 - 1) = 1 s for every one.
TEST(SimCli, RowsCarryTheLatencyTtftAndTpotMeans) {
  const auto r = testing::run_binserve_bench(
      "sim --lengths const:4 --policies vanilla --batch 1 --bins 1 --executors 1 --requests 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto rows = nlohmann::json::parse(r.out).at("results");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_DOUBLE_EQ(rows[0].at("latency_mean_ms").get<double>(), 8000.0);
  EXPECT_DOUBLE_EQ(rows[0].at("ttft_mean_ms").get<double>(), 5000.0);
  EXPECT_DOUBLE_EQ(rows[0].at("tpot_mean_ms").get<double>(), 1000.0);
}

// The continuous core's knobs reach it from the command line: the
// preemption bound, the KV budget and how it is reserved.
TEST(SimCli, PreemptionBoundAndKvBudgetReachTheCore) {
  auto row = [](const std::string& flags) {
    const auto r = testing::run_binserve_bench(
        "sim --lengths exponential:20 --requests 200 --cap 256 --arrivals poisson:50 "
        "--policies continuous-srpt --json " +
        flags);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return nlohmann::json::parse(r.out).at("results").at(0);
  };
  // One sequence at a time: every shorter arrival preempts it, unless bounded.
  EXPECT_GT(row("--batch 1 --max-batch 1").at("preemptions").get<int>(), 0);
  EXPECT_EQ(row("--batch 1 --max-batch 1 --max-preemptions 0").at("preemptions").get<int>(), 0);
  // 17 blocks of 16 hold one sequence reserved for its prompt (8) and the
  // cap (256); reserving its predicted (oracle) length, about 20, and a block
  // runs several together.
  const double by_max = row("--kv-blocks 17").at("latency_mean_ms").get<double>();
  const double by_prediction = row("--kv-blocks 17 --kv-admission predicted").at("latency_mean_ms").get<double>();
  EXPECT_LT(by_prediction, by_max / 2);
  EXPECT_LT(row("").at("latency_mean_ms").get<double>(), by_max / 2) << "unbudgeted: 16 live";
}

// The Sequence Scheduling ablation through run options: grouping by a
// noisy prediction (the hint: Vicuna's length at temperature 0.7) without
// caps never fails; with caps (FCR) it recomputes under-predicted requests;
// with the true lengths it never does.
TEST(SimCli, RunOptionsAndTheHintPredictorGiveTheAblationRows) {
  BINSERVE_REQUIRE_SHARED("data/alpaca-train-10k-length.json");
  const auto r =
      testing::run_binserve_bench("sim --lengths " + testing::shared_path("data/alpaca-train-10k-length.json") +
                                  " --hint-field L_t0.7 --requests 512 --batch 16 --cap 512 "
                                  "--policies vanilla,sequence+novbs+nofcr:hint,sequence:hint,sequence --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto rows = nlohmann::json::parse(r.out).at("results");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1].at("policy"), "sequence+novbs+nofcr:hint");
  EXPECT_EQ(rows[1].at("failure_ratio").get<double>(), 0.0);
  EXPECT_GT(rows[2].at("failure_ratio").get<double>(), 0.05);
  EXPECT_EQ(rows[3].at("failure_ratio").get<double>(), 0.0);
  for (int i = 1; i < 4; ++i)
    EXPECT_GT(rows[i].at("effective_token_ratio").get<double>(), rows[0].at("effective_token_ratio").get<double>());
  auto bad = testing::run_binserve_bench("sim --lengths uniform:1:20 --policies sequence+fast");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("unknown option '+fast'"), std::string::npos) << bad.out;
  bad = testing::run_binserve_bench("sim --lengths uniform:1:20 --policies round-robin");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("unknown policy 'round-robin' (known: vanilla, multibin, sequence, continuous, "
                         "continuous-sjf, continuous-srpt)"),
            std::string::npos)
      << bad.out;
  bad = testing::run_binserve_bench("sim --lengths uniform:1:20 --policies sequence:hint");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("--hint-field"), std::string::npos) << bad.out;
}

TEST(SimCli, ErrorsNameTheirCause) {
  auto r = testing::run_binserve_bench("sim --lengths uniform:1:20 --cost /nonexistent/cost.json");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("io_error"), std::string::npos) << r.out;
  r = testing::run_binserve_bench("sim --lengths trace.json --resolution 10");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("--resolution"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace binserve
