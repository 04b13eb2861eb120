// The Prometheus text of GET /metrics.
#include "net/prometheus.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <cstring>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace binserve::net {

// Checks `text` is Prometheus exposition: every sample line is
// `name{labels} value`, every sampled metric has HELP and TYPE lines before
// its samples (a summary's NAME_sum and NAME_count belong to NAME), and no
// series appears twice. Returns the samples, keyed by `name{labels}`.
std::map<std::string, double> parse_prometheus(const std::string& text) {
  static const std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_]+="[^"]*"(,[a-zA-Z_]+="[^"]*")*\})? )"
                                 R"(([-+]?[0-9.eE+-]+|NaN|[-+]Inf)$)");
  static const std::regex meta(R"(^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$)");
  std::set<std::string> helped, summaries;
  std::map<std::string, std::string> typed;
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  auto family = [&](std::string name) {
    for (const char* suffix : {"_sum", "_count"})
      if (name.ends_with(suffix) && typed.count(name.substr(0, name.size() - std::strlen(suffix))) &&
          typed[name.substr(0, name.size() - std::strlen(suffix))] == "summary")
        return name.substr(0, name.size() - std::strlen(suffix));
    return name;
  };
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, meta)) {
      if (m[1] == "HELP")
        helped.insert(m[2]);
      else
        typed[m[2]] = m[3];
      continue;
    }
    EXPECT_TRUE(std::regex_match(line, m, sample)) << "bad line: " << line;
    if (m.empty()) continue;
    const std::string f = family(m[1]);
    EXPECT_TRUE(helped.count(f) && typed.count(f)) << "no HELP/TYPE before " << line;
    const std::string v = m[4];
    const std::string key = std::string(m[1]) + std::string(m[2]);
    EXPECT_FALSE(out.count(key)) << "series twice: " << key;
    out[key] = v.find("Inf") != std::string::npos ? 1e300 : std::stod(v);
  }
  return out;
}

namespace {

TEST(Metrics, TextParsesAndHasEveryMetric) {
  stats s;
  s.submitted = 10;
  s.completed = 8;
  s.cancelled = 1;
  s.generated_tokens = 300;
  s.effective_token_ratio = 0.75;
  s.latency = {10, 12.5, 20, 31, 8, 80};
  s.bins = {{0, 0, 50, false, 4, 50, 2, 3, 3.5}, {1, 50, INT_MAX, false, 4, 512, 0, 1, 1}};
  const std::string text = metrics_text(s);
  const auto samples = parse_prometheus(text);
  for (const char* c : {"submitted", "completed", "failed", "rejected", "cancelled", "timed_out"})
    EXPECT_TRUE(samples.count(std::string("binserve_requests_") + c + "_total")) << c;
  for (const char* c : {"retries", "generated_tokens", "computed_slots"})
    EXPECT_TRUE(samples.count(std::string("binserve_") + c + "_total")) << c;
  for (const char* g : {"effective_token_ratio", "requests_per_second", "tokens_per_second"})
    EXPECT_TRUE(samples.count(std::string("binserve_") + g)) << g;
  EXPECT_EQ(samples.at("binserve_requests_submitted_total"), 10);
  EXPECT_EQ(samples.at("binserve_effective_token_ratio"), 0.75);
  EXPECT_EQ(samples.at(R"(binserve_request_latency_ms{quantile="0.5"})"), 12.5);
  EXPECT_TRUE(samples.count(R"(binserve_first_token_latency_ms{quantile="0.99"})"));
  EXPECT_TRUE(samples.count(R"(binserve_queue_latency_ms{quantile="0.9"})"));
  EXPECT_EQ(samples.at(R"(binserve_bin_queue_depth{bin="0",lo="0",hi="50"})"), 2);
  EXPECT_EQ(samples.at(R"(binserve_bin_batches_total{bin="1",lo="50",hi="+Inf"})"), 1);
  EXPECT_EQ(samples.at(R"(binserve_bin_mean_batch_size{bin="0",lo="0",hi="50"})"), 3.5);
  EXPECT_NE(text.find("# TYPE binserve_requests_submitted_total counter"), std::string::npos);
  EXPECT_NE(text.find("# TYPE binserve_request_latency_ms summary"), std::string::npos);
}

// A summary without _sum and _count cannot be averaged or rated by
// Prometheus (rate(x_sum) / rate(x_count) is the mean latency).
TEST(Metrics, SummariesHaveSumAndCount) {
  stats s;
  s.latency = {10, 12.5, 20, 31, 8, 80};
  s.first_token = {2, 2, 3, 4, 8, 16};
  const auto samples = parse_prometheus(metrics_text(s));
  EXPECT_EQ(samples.at("binserve_request_latency_ms_sum"), 80);
  EXPECT_EQ(samples.at("binserve_request_latency_ms_count"), 8);
  EXPECT_EQ(samples.at("binserve_first_token_latency_ms_sum"), 16);
  EXPECT_EQ(samples.at("binserve_first_token_latency_ms_count"), 8);
  EXPECT_TRUE(samples.count("binserve_queue_latency_ms_count"));
}

// The retry bin holds overflowed jobs of every prediction: labelled with a
// range it would claim [max_new_tokens, +Inf) beside the last bin's
// [lo, +Inf), two series overlap. It is labelled bin="retry" alone.
TEST(Metrics, BinLabelsAreDisjointAndTheRetryBinIsNamed) {
  stats s;
  s.bins = {{0, 0, 50, false, 4, 50, 0, 0, 0},
            {1, 50, INT_MAX, false, 4, 512, 0, 0, 0},
            {2, 512, INT_MAX, true, 4, 512, 3, 1, 2}};
  const std::string text = metrics_text(s);
  const auto samples = parse_prometheus(text);
  EXPECT_EQ(samples.at(R"(binserve_bin_queue_depth{bin="retry"})"), 3);
  EXPECT_EQ(samples.at(R"(binserve_bin_batches_total{bin="retry"})"), 1);
  std::size_t inf = 0;
  for (std::size_t at = text.find("binserve_bin_queue_depth{"); at != std::string::npos;
       at = text.find("binserve_bin_queue_depth{", at + 1))
    inf += text.substr(at, text.find('\n', at) - at).find("+Inf") != std::string::npos;
  EXPECT_EQ(inf, 1u) << text;
}

// Every field of the stats is exposed, including those once missing from
// /metrics: the time per output token, the uptime and the failure ratio.
TEST(Metrics, TimePerOutputTokenUptimeAndFailureRatioAreExposed) {
  stats s;
  s.tpot = {4, 3.5, 6, 9, 5, 20};
  s.elapsed_s = 12.5;
  s.failure_ratio = 0.25;
  const std::string text = metrics_text(s);
  const auto samples = parse_prometheus(text);
  EXPECT_EQ(samples.at(R"(binserve_time_per_output_token_ms{quantile="0.5"})"), 3.5);
  EXPECT_EQ(samples.at("binserve_time_per_output_token_ms_count"), 5);
  EXPECT_EQ(samples.at("binserve_uptime_seconds"), 12.5);
  EXPECT_EQ(samples.at("binserve_failure_ratio"), 0.25);
  EXPECT_NE(text.find("# TYPE binserve_time_per_output_token_ms summary"), std::string::npos);
  EXPECT_NE(text.find("# TYPE binserve_uptime_seconds gauge"), std::string::npos);
}

TEST(Metrics, EachNodeOfTheClusterIsLabelled) {
  stats s;
  s.requeued = 6;
  s.nodes = {{0, "local", true, 1, 10, 80, 0, ""}, {1, "10.0.0.2:7171", false, 0, 3, 24, 2, "lost"}};
  const auto samples = parse_prometheus(metrics_text(s));
  EXPECT_EQ(samples.at("binserve_requeued_total"), 6);
  EXPECT_EQ(samples.at(R"(binserve_node_connected{node="0",name="local"})"), 1);
  EXPECT_EQ(samples.at(R"(binserve_node_connected{node="1",name="10.0.0.2:7171"})"), 0);
  EXPECT_EQ(samples.at(R"(binserve_node_batches_total{node="1",name="10.0.0.2:7171"})"), 3);
  EXPECT_EQ(samples.at(R"(binserve_node_executor_failures_total{node="1",name="10.0.0.2:7171"})"), 2);
}

}  // namespace
}  // namespace binserve::net
