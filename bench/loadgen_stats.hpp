// `binserve-bench loadgen`'s bookkeeping: what happened to each request id (one
// final `done` or `error` expected), and the report built from it.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace binserve::tools {

using loadgen_clock = std::chrono::steady_clock;

struct percentiles {
  double p50 = 0, p90 = 0, p99 = 0;
};

struct loadgen_report {
  int requests = 0;
  int completed = 0;                  // requests answered by `done`
  std::map<std::string, int> errors;  // requests answered by `error`, by code
  int lost = 0;                       // submitted or not, never answered
  int duplicated = 0;                 // finals after a request's first
  int unmatched = 0;                  // events whose id names no request
  double seconds = 0;                 // first submission to the last final
  double requests_per_s = 0;
  double tokens_per_s = 0;             // generated ids of `done` events
  percentiles latency_ms;              // submission to final, completed requests
  std::optional<percentiles> ttft_ms;  // submission to first token (--stream only)
};

// Nearest-rank percentiles of `v` (sorted in place); zeros when empty.
percentiles compute_percentiles(std::vector<double>& v);

class loadgen_tracker {
 public:
  explicit loadgen_tracker(int requests);

  void submitted(int id, loadgen_clock::time_point t);
  // Ids outside [0, requests) count as unmatched.
  void token(long long id, loadgen_clock::time_point t);
  void done(long long id, loadgen_clock::time_point t, int tokens);
  void error(long long id, loadgen_clock::time_point t, const std::string& code);
  void unmatched() { ++unmatched_; }

  int finished() const { return finished_; }
  int failed() const { return failed_; }
  loadgen_report report() const;

 private:
  struct entry {
    std::optional<loadgen_clock::time_point> submit, first_token, final_at;
    int tokens = 0;
    std::string error_code;  // empty: `done`
  };
  entry* find(long long id);
  bool finish(long long id, loadgen_clock::time_point t);

  std::vector<entry> entries_;
  int finished_ = 0;
  int failed_ = 0;
  int duplicated_ = 0;
  int unmatched_ = 0;
};

nlohmann::json to_json(const loadgen_report& r);
std::string to_table(const loadgen_report& r);

}  // namespace binserve::tools
