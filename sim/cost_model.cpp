#include "sim/cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "actors/step_trace.hpp"

namespace binserve::sim {

namespace {

// Where `x` falls among the sorted keys of `m` (not empty): the keys around
// it, or the nearest two beyond either end, and its weight `w` on the upper
// one, so the value there is (1 - w) * lo + w * hi. One key: that key twice.
template <class Map>
std::tuple<typename Map::const_iterator, typename Map::const_iterator, double> blend(const Map& m, std::int64_t x) {
  auto hi = m.lower_bound(x);
  if (hi != m.end() && hi->first == x) return {hi, hi, 0.0};
  if (m.size() == 1) return {m.begin(), m.begin(), 0.0};
  if (hi == m.end()) hi = std::prev(m.end());
  if (hi == m.begin()) hi = std::next(hi);
  const auto lo = std::prev(hi);
  return {lo, hi, double(x - lo->first) / double(hi->first - lo->first)};
}

// A least-squares problem by columns: minimise |sum_j c_j cols[j] - y|.
struct design {
  std::vector<std::vector<double>> cols;
  std::vector<double> y;
};

// Least squares by modified Gram-Schmidt over the columns in order; a column
// whose remainder, after removing the kept ones, is below `kDependent` of
// its norm is dropped (its coefficient stays 0).
std::vector<double> solve(const design& d) {
  constexpr double kDependent = 1e-9;
  const size_t n = d.y.size(), m = d.cols.size();
  std::vector<std::vector<double>> q;  // kept orthonormal columns
  std::vector<size_t> kept;
  std::vector<std::vector<double>> r(m, std::vector<double>(m, 0.0));  // r[k][j]: kept k, column j
  for (size_t j = 0; j < m; ++j) {
    std::vector<double> v = d.cols[j];
    double norm0 = 0;
    for (double e : v) norm0 += e * e;
    for (size_t k = 0; k < q.size(); ++k) {
      double dot = 0;
      for (size_t i = 0; i < n; ++i) dot += q[k][i] * v[i];
      r[k][j] = dot;
      for (size_t i = 0; i < n; ++i) v[i] -= dot * q[k][i];
    }
    double norm = 0;
    for (double e : v) norm += e * e;
    if (norm0 == 0 || std::sqrt(norm) < kDependent * std::sqrt(norm0)) continue;
    r[q.size()][j] = std::sqrt(norm);
    for (double& e : v) e /= std::sqrt(norm);
    q.push_back(std::move(v));
    kept.push_back(j);
  }
  // R c = Q^T y over the kept columns, by back substitution.
  std::vector<double> c(m, 0.0);
  for (int k = static_cast<int>(kept.size()) - 1; k >= 0; --k) {
    double rhs = 0;
    for (size_t i = 0; i < n; ++i) rhs += q[k][i] * d.y[i];
    for (size_t l = k + 1; l < kept.size(); ++l) rhs -= r[k][kept[l]] * c[kept[l]];
    c[kept[k]] = rhs / r[k][kept[k]];
  }
  return c;
}

// Rows scaled by 1 / seconds, so the fit minimises relative error: a
// prefill of seconds must not drown the decode steps of milliseconds.
design weigh_relative(design d) {
  constexpr double kFloor = 1e-6;  // a 0 s sample weighs as a microsecond
  for (size_t i = 0; i < d.y.size(); ++i) {
    const double scale = 1.0 / std::max(d.y[i], kFloor);
    for (auto& col : d.cols) col[i] *= scale;
    d.y[i] *= scale;
  }
  return d;
}

// Least squares with every coefficient >= 0 (a step never gets cheaper with
// more work): the most negative term is dropped (its column zeroed, so
// solve leaves it 0) and the rest refitted, until none is negative.
std::vector<double> solve_non_negative(design d) {
  for (;;) {
    const std::vector<double> c = solve(d);
    const auto worst = std::min_element(c.begin(), c.end());
    if (worst == c.end() || *worst >= 0) return c;
    std::fill(d.cols[worst - c.begin()].begin(), d.cols[worst - c.begin()].end(), 0.0);
  }
}

// invalid_argument unless every sample is finite and non-negative.
status check_samples(const std::vector<cost_sample>& samples) {
  for (const cost_sample& s : samples) {
    const step_shape& t = s.shape;
    if (!std::isfinite(s.seconds) || s.seconds < 0 || t.live < 0 || t.context_tokens < 0 || t.prefill_tokens < 0)
      return status(error_code::invalid_argument, "cost samples must be non-negative and finite");
  }
  return status::ok_status();
}

double number_or(const nlohmann::json& j, const char* key, double fallback) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}

status bad(const std::string& origin, const std::string& what) {
  return status(error_code::invalid_argument, origin + ": " + what);
}

status_or<double> number(const nlohmann::json& j, const char* key, const std::string& origin) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number())
    return bad(origin, std::string("expected a number '") + key + "'");
  return j[key].get<double>();
}

// The decode and prefill steps of one bench-engine row, as samples.
status append_row(const nlohmann::json& top, const nlohmann::json& r, const std::string& origin,
                  std::vector<cost_sample>& out) {
  auto batch = number(r, "batch", origin + ": results[]");
  auto step_ms = number(r, "step_ms", origin + ": results[]");
  if (!batch.ok()) return batch.error();
  if (!step_ms.ok()) return step_ms.error();
  const nlohmann::json& ctx_from = r.contains("context") ? r : top;
  auto context = number(ctx_from, "context", origin);
  if (!context.ok()) return context.error();
  // Mean cache length over the timed steps: context, warm-up steps, then
  // (steps + 1) / 2 on average, counting the token each step appends.
  const double warmup = number_or(top, "warmup", 0), steps = number_or(top, "steps", 1);
  const auto b = static_cast<std::int64_t>(*batch);
  const double held = *context + warmup + (steps + 1) / 2;
  out.push_back({{b, std::llround(b * held), 0}, *step_ms / 1000});
  if (r.contains("prefill_ms")) {
    auto prefill_ms = number(r, "prefill_ms", origin + ": results[]");
    if (!prefill_ms.ok()) return prefill_ms.error();
    const auto c = static_cast<std::int64_t>(*context);
    out.push_back({{b, b * c, b * (c - 1)}, *prefill_ms / 1000});
  }
  return status::ok_status();
}

status_or<cost_model> from_bench_engine(const nlohmann::json& j, const std::string& origin) {
  if (!j.at("results").is_array() || j.at("results").empty())
    return bad(origin, "'results' must be a non-empty array of bench-engine rows");
  std::vector<cost_sample> samples;
  for (const auto& r : j.at("results"))
    if (status s = append_row(j, r, origin, samples); !s.ok()) return s;
  return cost_model::fit(samples);
}

status_or<cost_model> from_step_trace(std::string_view text, const std::string& origin) {
  auto records = parse_step_trace(text, origin);
  if (!records.ok()) return records.error();
  std::vector<cost_sample> samples;
  for (const step_record& r : *records) samples.push_back({{r.live, r.context_tokens, r.prefill_tokens}, r.seconds});
  return cost_model::fit_table(samples);
}

// A saved table's "base_s": {"LIVE": seconds, ...}, LIVE a positive integer.
status_or<std::map<std::int64_t, double>> table_bases(const nlohmann::json& j, const std::string& origin) {
  if (!j.contains("base_s") || !j["base_s"].is_object() || j["base_s"].empty())
    return bad(origin, "a table needs 'base_s': {\"LIVE\": seconds, ...}");
  std::map<std::int64_t, double> out;
  for (const auto& [key, value] : j["base_s"].items()) {
    char* end = nullptr;
    const long long live = std::strtoll(key.c_str(), &end, 10);
    if (key.empty() || *end != '\0' || live < 1 || !value.is_number())
      return bad(origin, "base_s: '" + key + "' must be a batch size (>= 1) with a number of seconds");
    out[live] = value.get<double>();
  }
  return out;
}

// The batch sizes a table's bases sit at: 1, 2, 4, ... below the largest
// measured size, and that size; a knot with no measured size strictly
// between its neighbours (nor at itself) is dropped, so every base is
// pinned by samples.
std::vector<std::int64_t> knots_for(const std::set<std::int64_t>& sizes) {
  std::vector<std::int64_t> k;
  for (std::int64_t p = 1; p < *sizes.rbegin(); p *= 2) k.push_back(p);
  k.push_back(*sizes.rbegin());
  for (size_t i = 0; i < k.size();) {
    const std::int64_t below = i > 0 ? k[i - 1] : 0, above = i + 1 < k.size() ? k[i + 1] : k[i] + 1;
    const auto first = sizes.upper_bound(below);
    if (first == sizes.end() || *first >= above)
      k.erase(k.begin() + static_cast<std::ptrdiff_t>(i));  // the next knot is checked against the wider span
    else
      ++i;
  }
  return k;
}

}  // namespace

cost_model cost_model::unit(double seconds_per_step) {
  cost_model m;
  m.kind_ = kind::unit;
  m.c_.base = seconds_per_step;
  return m;
}

status_or<cost_model> cost_model::fit(const std::vector<cost_sample>& samples) {
  if (status s = check_samples(samples); !s.ok()) return s;
  if (samples.size() < 2) return status(error_code::invalid_argument, "a cost fit needs at least 2 measured steps");
  design d{std::vector<std::vector<double>>(4), {}};
  for (const cost_sample& s : samples) {
    d.cols[0].push_back(1.0);
    d.cols[1].push_back(double(s.shape.live));
    d.cols[2].push_back(double(s.shape.context_tokens));
    d.cols[3].push_back(double(s.shape.prefill_tokens));
    d.y.push_back(s.seconds);
  }
  const std::vector<double> c = solve_non_negative(weigh_relative(std::move(d)));
  cost_model m;
  m.c_ = {c[0], c[1], c[2], c[3]};
  return m;
}

status_or<cost_model> cost_model::fit_table(const std::vector<cost_sample>& samples) {
  if (status s = check_samples(samples); !s.ok()) return s;
  if (samples.empty()) return status(error_code::invalid_argument, "a table fit needs measured steps");
  std::set<std::int64_t> sizes;
  for (const cost_sample& s : samples) {
    if (s.shape.live < 1) return status(error_code::invalid_argument, "a measured step has no live sequence");
    sizes.insert(s.shape.live);
  }
  // One column per knot: a sample's base is the blend of the two knots
  // around its batch size, so the bases are fitted as a broken line.
  std::map<std::int64_t, size_t> column;
  for (std::int64_t k : knots_for(sizes)) column.emplace(k, column.size());
  const size_t context = column.size(), prefill = context + 1;
  design d{std::vector<std::vector<double>>(prefill + 1, std::vector<double>(samples.size(), 0.0)), {}};
  for (size_t i = 0; i < samples.size(); ++i) {
    const step_shape& t = samples[i].shape;
    const auto [lo, hi, w] = blend(column, t.live);
    d.cols[lo->second][i] += 1 - w;
    d.cols[hi->second][i] += w;
    d.cols[context][i] = double(t.context_tokens);
    d.cols[prefill][i] = double(t.prefill_tokens);
    d.y.push_back(samples[i].seconds);
  }
  const std::vector<double> c = solve_non_negative(std::move(d));
  cost_model m;
  m.kind_ = kind::table;
  for (const auto& [live, col] : column) m.base_[live] = c[col];
  m.c_.per_context_token = c[context];
  m.c_.per_prefill_token = c[prefill];
  return m;
}

status_or<cost_model> cost_model::parse(std::string_view text, const std::string& origin) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  const bool one_step = j.is_object() && j.contains("live") && j.contains("seconds");
  if (j.is_discarded() || one_step) {  // a step trace is one object per line
    const std::string_view first = text.substr(0, text.find('\n'));
    if (one_step || nlohmann::json::parse(first, nullptr, false).is_object()) return from_step_trace(text, origin);
  }
  if (j.is_discarded() || !j.is_object()) return bad(origin, "not a JSON object or a step trace");
  if (j.contains("results")) return from_bench_engine(j, origin);
  const std::string name = j.contains("kind") && j["kind"].is_string() ? j["kind"].get<std::string>() : "";
  if (name != "unit" && name != "linear" && name != "table")
    return bad(origin,
               "expected \"kind\": \"unit\", \"linear\" or \"table\", bench-engine \"results\", or a step trace");
  cost_model m;
  if (name == "table") {
    auto bases = table_bases(j, origin);
    if (!bases.ok()) return bases.error();
    m.kind_ = kind::table;
    m.base_ = std::move(*bases);
  }
  const std::vector<std::pair<const char*, double*>> terms =
      name == "table" ? std::vector<std::pair<const char*, double*>>{{"per_context_token_s", &m.c_.per_context_token},
                                                                     {"per_prefill_token_s", &m.c_.per_prefill_token}}
                      : std::vector<std::pair<const char*, double*>>{{"base_s", &m.c_.base},
                                                                     {"per_sequence_s", &m.c_.per_sequence},
                                                                     {"per_context_token_s", &m.c_.per_context_token},
                                                                     {"per_prefill_token_s", &m.c_.per_prefill_token}};
  for (const auto& [key, out] : terms) {
    auto v = number(j, key, origin);
    if (!v.ok()) return v.error();
    *out = *v;
  }
  if (name == "unit") m.kind_ = kind::unit;
  return m;
}

status_or<cost_model> cost_model::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return status(error_code::io_error, path + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

double cost_model::base_at(std::int64_t live) const {
  const auto [lo, hi, w] = blend(base_, live);
  return (1 - w) * lo->second + w * hi->second;
}

double cost_model::step_seconds(const step_shape& s) const {
  const double base = kind_ == kind::table ? base_at(s.live) : c_.base + c_.per_sequence * double(s.live);
  const double t =
      base + c_.per_context_token * double(s.context_tokens) + c_.per_prefill_token * double(s.prefill_tokens);
  return std::max(t, 0.0);
}

std::string cost_model::to_json() const {
  if (kind_ == kind::table) {
    nlohmann::json bases = nlohmann::json::object();
    for (const auto& [live, seconds] : base_) bases[std::to_string(live)] = seconds;
    return nlohmann::json{{"kind", "table"},
                          {"base_s", bases},
                          {"per_context_token_s", c_.per_context_token},
                          {"per_prefill_token_s", c_.per_prefill_token}}
        .dump();
  }
  return nlohmann::json{{"kind", kind_ == kind::unit ? "unit" : "linear"},
                        {"base_s", c_.base},
                        {"per_sequence_s", c_.per_sequence},
                        {"per_context_token_s", c_.per_context_token},
                        {"per_prefill_token_s", c_.per_prefill_token}}
      .dump();
}

status cost_model::save(const std::string& path) const {
  std::ofstream out(path);
  if (!(out << to_json() << "\n")) return status(error_code::io_error, path + ": cannot write");
  return status::ok_status();
}

}  // namespace binserve::sim
