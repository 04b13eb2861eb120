// The figures every binserve-bench row reports of a run, as its stats give
// them: the one list of their names and order, for bench's and sim's rows,
// their JSON and the bench CSV's columns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "binserve/stats.hpp"

namespace binserve::tools {

struct serving_figures {
  double effective_token_ratio = 0, failure_ratio = 0;
  latency_summary latency, ttft, tpot;                  // milliseconds (tpot: stats::tpot)
  std::int64_t preemptions = 0, recomputed_tokens = 0;  // continuous policies
};

serving_figures figures_of(const stats& s);

// The figures' keys, in the bench CSV's column order: effective_token_ratio,
// failure_ratio, latency_p50_ms, latency_p99_ms, ttft_p50_ms, ttft_p99_ms,
// latency_mean_ms, ttft_mean_ms, tpot_mean_ms, preemptions, recomputed_tokens.
std::vector<std::string> figure_keys();

// Sets f's figures in `row`, under figure_keys().
void add_figures(nlohmann::json& row, const serving_figures& f);

}  // namespace binserve::tools
