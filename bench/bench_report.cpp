#include "bench/bench_report.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <tuple>

namespace binserve::tools {

namespace {

// The CSV's columns, in order: keys of to_json(row).
std::vector<std::string> columns() {
  std::vector<std::string> c = {"round",          "run",          "policy",          "predictor", "arrivals",
                                "rate",           "bins",         "requests",        "completed", "seconds",
                                "requests_per_s", "tokens_per_s", "ratio_to_vanilla"};
  for (std::string& k : figure_keys()) c.push_back(std::move(k));
  return c;
}

std::string format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string round_cell(int round) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%-5d ", round);
  return buf;
}

std::string csv_field(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_number_float()) return format("%.10g", v.get<double>());
  if (!v.is_string()) return v.dump();
  const std::string s = v.get<std::string>();
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::tuple<std::string, std::string, int> spread_key(const bench_row& r) {
  return {r.point.run.label, r.point.arrivals, r.bins};
}

}  // namespace

void set_ratios(std::vector<bench_row>& rows) {
  std::map<std::pair<std::string, int>, double> vanilla;  // (arrivals, round) -> requests/s
  for (const bench_row& r : rows)
    if (r.point.run.policy == policy_kind::vanilla)
      vanilla.emplace(std::pair(r.point.arrivals, r.point.repetition), r.requests_per_s);
  for (bench_row& r : rows) {
    const auto v = vanilla.find({r.point.arrivals, r.point.repetition});
    r.ratio_to_vanilla.reset();
    if (v != vanilla.end() && v->second > 0) r.ratio_to_vanilla = r.requests_per_s / v->second;
  }
}

std::vector<run_spread> spreads(const std::vector<bench_row>& rows) {
  std::vector<run_spread> out;
  std::map<std::tuple<std::string, std::string, int>, std::size_t> index;
  for (const bench_row& r : rows) {
    const auto [it, fresh] = index.emplace(spread_key(r), out.size());
    if (fresh) out.push_back({r.point.run.label, r.point.arrivals, r.bins, 0, 0, r.requests_per_s, r.requests_per_s});
    run_spread& s = out[it->second];
    s.mean = (s.mean * s.runs + r.requests_per_s) / (s.runs + 1);
    ++s.runs;
    s.min = std::min(s.min, r.requests_per_s);
    s.max = std::max(s.max, r.requests_per_s);
  }
  return out;
}

std::string to_table(const std::vector<bench_row>& rows, bool rounds) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%s%-22s %-14s %4s %9s %10s %9s %7s %8s %9s %9s %9s %9s %6s\n",
                rounds ? "round " : "", "run", "arrivals", "bins", "req/s", "tokens/s", "x vanilla", "eff.tok",
                "failures", "p50 ms", "p99 ms", "ttft p50", "ttft p99", "done");
  out += line;
  for (const bench_row& r : rows) {
    const std::string ratio = r.ratio_to_vanilla ? format("%.2f", *r.ratio_to_vanilla) : "-";
    std::snprintf(line, sizeof line, "%s%-22s %-14s %4d %9.3f %10.1f %9s %7.3f %8.3f %9.1f %9.1f %9.1f %9.1f %6d\n",
                  rounds ? round_cell(r.point.repetition).c_str() : "", r.point.run.label.c_str(),
                  r.point.arrivals.c_str(), r.bins, r.requests_per_s, r.tokens_per_s, ratio.c_str(),
                  r.figures.effective_token_ratio, r.figures.failure_ratio, r.figures.latency.p50,
                  r.figures.latency.p99, r.figures.ttft.p50, r.figures.ttft.p99, r.completed);
    out += line;
  }
  return out;
}

std::string to_table(const std::vector<run_spread>& spreads) {
  char line[256];
  std::snprintf(line, sizeof line, "%-22s %-14s %4s %5s %11s %9s %9s\n", "run", "arrivals", "bins", "runs",
                "req/s mean", "min", "max");
  std::string out = line;
  for (const run_spread& s : spreads) {
    std::snprintf(line, sizeof line, "%-22s %-14s %4d %5d %11.3f %9.3f %9.3f\n", s.label.c_str(), s.arrivals.c_str(),
                  s.bins, s.runs, s.mean, s.min, s.max);
    out += line;
  }
  return out;
}

nlohmann::json to_json(const bench_row& r) {
  const run_point& p = r.point;
  nlohmann::json row{{"round", p.repetition},
                     {"run", p.run.label},
                     {"policy", name_of(p.run.policy)},
                     {"predictor", p.run.predictor},
                     {"arrivals", p.arrivals},
                     {"rate", p.rate ? nlohmann::json(*p.rate) : nlohmann::json()},
                     {"bins", r.bins},
                     {"requests", r.requests},
                     {"completed", r.completed},
                     {"seconds", r.seconds},
                     {"requests_per_s", r.requests_per_s},
                     {"tokens_per_s", r.tokens_per_s},
                     {"ratio_to_vanilla", r.ratio_to_vanilla ? nlohmann::json(*r.ratio_to_vanilla) : nlohmann::json()}};
  add_figures(row, r.figures);
  return row;
}

nlohmann::json to_json(const run_spread& s) {
  return nlohmann::json{{"run", s.label},
                        {"arrivals", s.arrivals},
                        {"bins", s.bins},
                        {"runs", s.runs},
                        {"requests_per_s_mean", s.mean},
                        {"requests_per_s_min", s.min},
                        {"requests_per_s_max", s.max}};
}

status write_csv(const std::vector<bench_row>& rows, const std::string& path) {
  const std::vector<std::string> cols = columns();
  std::ofstream out(path);
  for (std::size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << cols[i];
  out << "\n";
  for (const bench_row& r : rows) {
    const nlohmann::json j = to_json(r);
    for (std::size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << csv_field(j.at(cols[i]));
    out << "\n";
  }
  out.close();
  if (!out) return status(error_code::io_error, path + ": cannot write the CSV");
  return {};
}

}  // namespace binserve::tools
