#include "sim/cost_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace binserve::sim {

namespace {

constexpr int kTerms = 4;  // base, live, context, prefill
using row = std::array<double, kTerms>;

row terms_of(const step_shape& s) {
  return {1.0, double(s.live), double(s.context_tokens), double(s.prefill_tokens)};
}

// Least squares by modified Gram-Schmidt over the columns in order; a column
// whose remainder, after removing the kept ones, is below `kDependent` of
// its norm is dropped (its coefficient stays 0).
cost_coefficients solve(const std::vector<row>& x, const std::vector<double>& y) {
  constexpr double kDependent = 1e-9;
  const size_t n = x.size();
  std::vector<std::vector<double>> q;  // kept orthonormal columns
  std::vector<int> kept;
  std::array<std::array<double, kTerms>, kTerms> r{};  // r[i][j]: kept i, column j
  for (int j = 0; j < kTerms; ++j) {
    std::vector<double> v(n);
    double norm0 = 0;
    for (size_t i = 0; i < n; ++i) norm0 += (v[i] = x[i][j]) * x[i][j];
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
  const int m = static_cast<int>(kept.size());
  std::array<double, kTerms> c{};
  for (int k = m - 1; k >= 0; --k) {
    double rhs = 0;
    for (size_t i = 0; i < n; ++i) rhs += q[k][i] * y[i];
    for (int l = k + 1; l < m; ++l) rhs -= r[k][kept[l]] * c[kept[l]];
    c[kept[k]] = rhs / r[k][kept[k]];
  }
  return {c[0], c[1], c[2], c[3]};
}

// Rows scaled by 1 / seconds, so the fit minimises relative error: a
// prefill of seconds must not drown the decode steps of milliseconds.
struct weighted {
  std::vector<row> x;
  std::vector<double> y;
};
weighted weigh_relative(const std::vector<row>& x, const std::vector<double>& y) {
  constexpr double kFloor = 1e-6;  // a 0 s sample weighs as a microsecond
  weighted w{x, std::vector<double>(y.size(), 1.0)};
  for (size_t i = 0; i < y.size(); ++i) {
    const double scale = 1.0 / std::max(y[i], kFloor);
    for (double& v : w.x[i]) v *= scale;
    w.y[i] = y[i] * scale;
  }
  return w;
}

// Least squares with every coefficient >= 0 (a step never gets cheaper with
// more work): the most negative term is dropped (its column zeroed, so
// solve leaves it 0) and the rest refitted, until none is negative.
cost_coefficients solve_non_negative(weighted w) {
  for (;;) {
    const cost_coefficients c = solve(w.x, w.y);
    const std::array<double, kTerms> v = {c.base, c.per_sequence, c.per_context_token, c.per_prefill_token};
    const auto worst = std::min_element(v.begin(), v.end());
    if (*worst >= 0) return c;
    for (row& r : w.x) r[worst - v.begin()] = 0.0;
  }
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

}  // namespace

cost_model cost_model::unit(double seconds_per_step) {
  cost_model m;
  m.unit_ = true;
  m.c_.base = seconds_per_step;
  return m;
}

status_or<cost_model> cost_model::fit(const std::vector<cost_sample>& samples) {
  std::vector<row> x;
  std::vector<double> y;
  for (const cost_sample& s : samples) {
    const row t = terms_of(s.shape);
    const bool finite = std::isfinite(s.seconds) && s.seconds >= 0;
    if (!finite || std::any_of(t.begin(), t.end(), [](double v) { return v < 0; }))
      return status(error_code::invalid_argument, "cost samples must be non-negative and finite");
    x.push_back(t);
    y.push_back(s.seconds);
  }
  if (x.size() < 2)
    return status(error_code::invalid_argument, "a cost fit needs at least 2 measured steps");
  cost_model m;
  m.c_ = solve_non_negative(weigh_relative(x, y));
  return m;
}

status_or<cost_model> cost_model::parse(std::string_view text, const std::string& origin) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad(origin, "not a JSON object");
  if (j.contains("results")) return from_bench_engine(j, origin);
  const std::string kind = j.contains("kind") && j["kind"].is_string() ? j["kind"].get<std::string>() : "";
  if (kind != "unit" && kind != "linear")
    return bad(origin, "expected \"kind\": \"unit\" or \"linear\", or bench-engine \"results\"");
  std::array<double, kTerms> c{};
  const char* keys[kTerms] = {"base_s", "per_sequence_s", "per_context_token_s", "per_prefill_token_s"};
  for (int i = 0; i < kTerms; ++i) {
    auto v = number(j, keys[i], origin);
    if (!v.ok()) return v.error();
    c[i] = *v;
  }
  cost_model m = kind == "unit" ? unit(c[0]) : cost_model();
  m.c_ = {c[0], c[1], c[2], c[3]};
  return m;
}

status_or<cost_model> cost_model::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return status(error_code::io_error, path + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

double cost_model::step_seconds(const step_shape& s) const {
  const double t = c_.base + c_.per_sequence * double(s.live) +
                   c_.per_context_token * double(s.context_tokens) +
                   c_.per_prefill_token * double(s.prefill_tokens);
  return std::max(t, 0.0);
}

std::string cost_model::to_json() const {
  return nlohmann::json{{"kind", unit_ ? "unit" : "linear"}, {"base_s", c_.base},
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
