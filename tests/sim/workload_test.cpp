// Workloads: synthetic lengths with their statistics, the shared traces
// (Alpaca lengths, Azure CSV) against values read off the files, arrival
// offsets, and malformed specs and files.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>

#include <gtest/gtest.h>

#include "sim/workload.hpp"
#include "tests/test_paths.hpp"

namespace binserve::tools {
namespace {

workload_options options(const std::string& source, int requests = 1024, const std::string& arrivals = "offline") {
  workload_options o;
  o.source = source;
  o.requests = requests;
  o.arrivals = arrivals;
  return o;
}

std::vector<int> lengths(const workload& w) {
  std::vector<int> out;
  for (const example& e : w.requests) out.push_back(e.length);
  return out;
}

double mean(const std::vector<int>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }

workload load_ok(const workload_options& o) {
  auto w = load_workload(o);
  EXPECT_TRUE(w.ok()) << w.error().to_string();
  return w.ok() ? std::move(*w) : workload{};
}

// The error of a workload that must not load.
status load_error(const workload_options& o) {
  auto w = load_workload(o);
  EXPECT_FALSE(w.ok()) << o.source << " / " << o.arrivals;
  return w.ok() ? status() : w.error();
}

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("binserve_workload_test_" + name);
  std::ofstream(path) << text;
  return path.string();
}

TEST(Workload, ConstIsClampedToTheCapAndArrivesOffline) {
  workload_options o = options("const:7", 5);
  o.cap = 4;
  const workload w = load_ok(o);
  EXPECT_EQ(lengths(w), std::vector<int>(5, 4));
  EXPECT_EQ(w.arrival_s, std::vector<double>(5, 0.0));
  EXPECT_TRUE(w.train.empty());
}

TEST(Workload, UniformCoversItsRangeWithTheRightMeanAndFollowsTheSeed) {
  workload_options o = options("uniform:10:20", 20000);
  o.seed = 3;
  const auto v = lengths(load_ok(o));
  EXPECT_EQ(std::set<int>(v.begin(), v.end()).size(), 11u);
  EXPECT_EQ(*std::min_element(v.begin(), v.end()), 10);
  EXPECT_EQ(*std::max_element(v.begin(), v.end()), 20);
  EXPECT_NEAR(mean(v), 15.0, 0.1);
  EXPECT_EQ(lengths(load_ok(o)), v);
  auto other = o;
  other.seed = 4;
  EXPECT_NE(lengths(load_ok(other)), v);
}

TEST(Workload, ExponentialHasItsMeanAndTail) {
  workload_options o = options("exponential:100", 20000);
  o.cap = 100000;
  o.seed = 9;
  const auto v = lengths(load_ok(o));
  EXPECT_GE(*std::min_element(v.begin(), v.end()), 1);
  EXPECT_NEAR(mean(v), 100.0, 3.0);
  const double above_200 = std::count_if(v.begin(), v.end(), [](int x) { return x > 200; }) / 20000.0;
  EXPECT_NEAR(above_200, 0.135, 0.01);  // e^-2
}

TEST(Workload, AlpacaTraceLengthsAreTheFilesClampedAndCycled) {
  BINSERVE_REQUIRE_SHARED("data/alpaca-train-10k-length.json");
  const std::string path = testing::shared_path("data/alpaca-train-10k-length.json");
  auto v = lengths(load_ok(options(path, 10000)));
  EXPECT_EQ(v[0], 115);  // record id 5, L_t0.0
  EXPECT_EQ(v[1], 83);
  std::nth_element(v.begin(), v.begin() + 5000, v.end());
  EXPECT_NEAR(v[5000], 105, 1);  // the data README's median
  workload_options o = options(path, 10001);
  o.length_field = "L_gt";
  o.cap = 100;
  const auto capped = lengths(load_ok(o));
  EXPECT_EQ(capped[0], 100);  // L_gt 160
  EXPECT_EQ(capped[1], 49);
  EXPECT_EQ(capped[10000], capped[0]);
}

TEST(Workload, HintFieldIsKeptBesideTheLengthAndMustExist) {
  BINSERVE_REQUIRE_SHARED("data/alpaca-train-10k-length.json");
  workload_options o = options(testing::shared_path("data/alpaca-train-10k-length.json"), 2);
  o.hint_field = "L_t0.7";
  const workload w = load_ok(o);
  EXPECT_EQ(w.requests[0].length, 115);  // record id 5: L_t0.0 115, L_t0.7 220
  EXPECT_EQ(w.requests[0].hint, 220);
  o.hint_field = "L_t9";
  auto bad = load_workload(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("no integer field 'L_t9'"), std::string::npos) << bad.error().message();
}

TEST(Workload, AzureCsvGivesGeneratedTokensContextTokensAndScaledGaps) {
  BINSERVE_REQUIRE_SHARED("data/azure_llm_inference_conv.csv");
  workload_options o = options(testing::shared_path("data/azure_llm_inference_conv.csv"), 4, "trace");
  o.cap = 100;
  const workload w = load_ok(o);
  EXPECT_EQ(lengths(w), (std::vector<int>{44, 100, 55, 16}));  // 109 clamped
  EXPECT_EQ(w.prompt_tokens, (std::vector<int>{374, 396, 879, 91}));
  ASSERT_EQ(w.arrival_s.size(), 4u);
  EXPECT_EQ(w.arrival_s[0], 0.0);
  EXPECT_NEAR(w.arrival_s[1], 50.9951690 - 46.6805900, 1e-6);
  EXPECT_NEAR(w.arrival_s[3], 51.3910170 - 46.6805900, 1e-6);
  o.arrivals = "trace:0.5";
  EXPECT_NEAR(load_ok(o).arrival_s[3], 0.5 * (51.3910170 - 46.6805900), 1e-6);
}

TEST(Workload, CsvTraceCyclesItsRowsAndGaps) {
  const std::string path = write_temp("cycle.csv",
                                      "TIMESTAMP,ContextTokens,GeneratedTokens\r\n"
                                      "2023-11-16 18:00:00.0,10,3\r\n"
                                      "2023-11-16 18:00:01.5,20,0\r\n"
                                      "2023-11-16 18:00:02.0,30,7\r\n");
  const workload w = load_ok(options(path, 5, "trace:2"));
  EXPECT_EQ(lengths(w), (std::vector<int>{3, 1, 7, 3, 1}));
  EXPECT_EQ(w.arrival_s, (std::vector<double>{0, 3, 4, 7, 8}));
}

TEST(Workload, PoissonGapsHaveTheMeanOfTheRate) {
  workload_options o = options("const:1", 20001, "poisson:50");
  o.seed = 2;
  const workload w = load_ok(o);
  EXPECT_EQ(w.arrival_s.front(), 0.0);
  EXPECT_TRUE(std::is_sorted(w.arrival_s.begin(), w.arrival_s.end()));
  EXPECT_NEAR(w.arrival_s.back() / 20000, 1.0 / 50, 0.02 / 30);
}

TEST(Workload, DatasetIsRepeatedToTheRequestedCountWhenAsked) {
  const std::string path = write_temp("prompts.jsonl",
                                      "{\"prompt\": \"a b\", \"length\": 3}\n"
                                      "{\"prompt\": \"c\", \"length\": 900}\n");
  workload_options o = options(path, 5);
  o.length_model = o.served_model = "dummy:stories260k";
  o.test_fraction = 1.0;
  EXPECT_EQ(load_ok(o).requests.size(), 2u);
  o.repeat_dataset = true;
  const auto v = lengths(load_ok(o));
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(std::count(v.begin(), v.end(), 512), 2 + (v[4] == 512));
}

TEST(Workload, MalformedSpecsNameTheSpec) {
  for (const std::string spec :
       {"const:0", "const:x", "uniform:5", "uniform:9:3", "uniform:0:3", "exponential:-1", "exponential:"}) {
    const status s = load_error(options(spec));
    EXPECT_EQ(s.code(), error_code::invalid_argument) << spec;
    EXPECT_NE(s.message().find("'" + spec + "'"), std::string::npos) << s.to_string();
  }
  for (const std::string spec : {"poisson", "poisson:-2", "poisson:x", "burst:3", "trace:0"}) {
    const status s = load_error(options("const:1", 1, spec));
    EXPECT_EQ(s.code(), error_code::invalid_argument) << spec;
    EXPECT_NE(s.message().find("'" + spec + "'"), std::string::npos) << s.to_string();
  }
  const status no_trace = load_error(options("uniform:1:4", 1, "trace"));
  EXPECT_NE(no_trace.message().find("CSV"), std::string::npos) << no_trace.to_string();
}

TEST(Workload, MalformedFilesNameTheFileAndLine) {
  const std::string header = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  const std::string ok_row = "2023-11-16 18:00:00.0,10,3\n";
  const std::pair<std::string, std::string> csvs[] = {{"bad_row.csv", header + ok_row + "2023-11-16 18:00:01,10\n"},
                                                      {"bad_time.csv", header + ok_row + "2023-13-16 18:00:01,10,3\n"},
                                                      {"bad_count.csv", header + ok_row + "2023-11-16 18:00:01,10,x\n"},
                                                      {"bad_header.csv", "time,in,out\n" + ok_row + ok_row}};
  for (const auto& [name, text] : csvs) {
    const std::string path = write_temp(name, text);
    const status s = load_error(options(path));
    EXPECT_EQ(s.code(), error_code::invalid_argument);
    EXPECT_NE(s.message().find(path + (name == "bad_header.csv" ? ":1:" : ":3:")), std::string::npos) << s.to_string();
  }
  const std::string json = write_temp("bad.json", "[\n {\"L_t0.0\": 3},\n {\"L_t0.0\": }\n]");
  EXPECT_NE(load_error(options(json)).message().find("line 3"), std::string::npos);
  const std::string no_field = write_temp("no_field.json", "[{\"L_t0.0\": 3}, {\"L_gt\": 4}]");
  EXPECT_NE(load_error(options(no_field)).message().find(no_field + ": record 1"), std::string::npos);
  EXPECT_EQ(load_error(options("/nonexistent/trace.csv")).code(), error_code::io_error);
}

}  // namespace
}  // namespace binserve::tools
