#include "bench/serving_figures.hpp"

#include <array>
#include <utility>

namespace binserve::tools {

namespace {

using figure = std::pair<const char*, nlohmann::json (*)(const serving_figures&)>;

const std::array<figure, 11> kFigures = {{
    {"effective_token_ratio", [](const serving_figures& f) -> nlohmann::json { return f.effective_token_ratio; }},
    {"failure_ratio", [](const serving_figures& f) -> nlohmann::json { return f.failure_ratio; }},
    {"latency_p50_ms", [](const serving_figures& f) -> nlohmann::json { return f.latency.p50; }},
    {"latency_p99_ms", [](const serving_figures& f) -> nlohmann::json { return f.latency.p99; }},
    {"ttft_p50_ms", [](const serving_figures& f) -> nlohmann::json { return f.ttft.p50; }},
    {"ttft_p99_ms", [](const serving_figures& f) -> nlohmann::json { return f.ttft.p99; }},
    {"latency_mean_ms", [](const serving_figures& f) -> nlohmann::json { return f.latency.mean; }},
    {"ttft_mean_ms", [](const serving_figures& f) -> nlohmann::json { return f.ttft.mean; }},
    {"tpot_mean_ms", [](const serving_figures& f) -> nlohmann::json { return f.tpot.mean; }},
    {"preemptions", [](const serving_figures& f) -> nlohmann::json { return f.preemptions; }},
    {"recomputed_tokens", [](const serving_figures& f) -> nlohmann::json { return f.recomputed_tokens; }},
}};

}  // namespace

serving_figures figures_of(const stats& s) {
  return {s.effective_token_ratio, s.failure_ratio,    s.latency, s.first_token, s.tpot,
          s.preemptions,           s.recomputed_tokens};
}

std::vector<std::string> figure_keys() {
  std::vector<std::string> keys;
  for (const figure& f : kFigures) keys.push_back(f.first);
  return keys;
}

void add_figures(nlohmann::json& row, const serving_figures& f) {
  for (const figure& g : kFigures) row[g.first] = g.second(f);
}

}  // namespace binserve::tools
