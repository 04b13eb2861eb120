#include "predict/probe_predictor.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

namespace binserve {

namespace {

constexpr int kMaxSteps = 4096;  // refresh steps with a marginal of their own (later ones share the last)
constexpr int kExtra = 3;        // features beside the states: log step, its square, log prompt length
constexpr float kFloor = 1e-3f;  // the share of a pooled belief spread evenly: no bin is ever ruled out

void raw_features(const probe_input& in, float* out) {
  std::copy(in.states.begin(), in.states.end(), out);
  const float ls = std::log1p(float(in.step));
  out[in.states.size()] = ls;
  out[in.states.size() + 1] = ls * ls;
  out[in.states.size() + 2] = std::log1p(float(in.prompt_tokens));
}

// Equal-mass bin edges over the remaining lengths: [0, ..., max + 1], strictly increasing.
std::vector<int> equal_mass_edges(std::vector<int> remaining, int bins) {
  std::sort(remaining.begin(), remaining.end());
  std::vector<int> edges = {0};
  for (int j = 1; j < bins; ++j) {
    const int q = remaining[remaining.size() * j / bins];
    if (q > edges.back()) edges.push_back(q);
  }
  edges.push_back(std::max(edges.back() + 1, remaining.back() + 1));
  return edges;
}

}  // namespace

probe_predictor::probe_predictor(std::vector<int> layers, int refresh_tokens, int width, const probe_options& o,
                                 softmax_mlp head)
    : layers_(std::move(layers)), refresh_tokens_(refresh_tokens), width_(width), options_(o), head_(std::move(head)) {}

status_or<probe_predictor> probe_predictor::train(std::span<const probe_example> rows, std::vector<int> layers,
                                                  int refresh_tokens, const probe_options& o, std::uint64_t seed) {
  if (rows.empty()) return status(error_code::invalid_argument, "probe: no training rows");
  const int width = static_cast<int>(rows[0].in.states.size()), f = width + kExtra;
  std::vector<int> remaining;
  for (const probe_example& e : rows) {
    if (static_cast<int>(e.in.states.size()) != width)
      return status(error_code::invalid_argument, "probe: training rows of different widths");
    remaining.push_back(e.remaining);
  }
  std::vector<int> edges = equal_mass_edges(remaining, o.bins);
  const int bins = static_cast<int>(edges.size()) - 1;
  if (bins < 2) return status(error_code::invalid_argument, "probe: fewer than 2 distinct remaining lengths");
  probe_predictor p(std::move(layers), refresh_tokens, width, o, softmax_mlp(f, bins, o.mlp.hidden, seed));
  p.edges_ = std::move(edges);
  // x (rows, f) raw, then scaled to zero mean and unit variance per feature
  std::vector<float> x(rows.size() * f);
  for (std::size_t r = 0; r < rows.size(); ++r) raw_features(rows[r].in, &x[r * f]);
  std::vector<double> sum(f, 0.0), sq(f, 0.0);
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (int j = 0; j < f; ++j) sum[j] += x[r * f + j], sq[j] += double(x[r * f + j]) * x[r * f + j];
  p.mean_.resize(f);
  p.inv_std_.resize(f);
  for (int j = 0; j < f; ++j) {
    const double m = sum[j] / rows.size(), var = std::max(0.0, sq[j] / rows.size() - m * m);
    p.mean_[j] = float(m);
    p.inv_std_[j] = var > 1e-12 ? float(1.0 / std::sqrt(var)) : 0.0f;
  }
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (int j = 0; j < f; ++j) x[r * f + j] = (x[r * f + j] - p.mean_[j]) * p.inv_std_[j];
  std::vector<int> y(rows.size());
  for (std::size_t r = 0; r < rows.size(); ++r) y[r] = p.bin_of(rows[r].remaining);
  p.head_.fit(x, y, o.mlp, seed);
  // the classifier's mean reading per refresh step
  int steps = 1;
  for (const probe_example& e : rows) steps = std::max(steps, std::min(kMaxSteps, e.in.step / refresh_tokens + 1));
  p.marginal_.assign(steps, std::vector<float>(bins, 0.0f));
  std::vector<double> count(steps, 0.0);
  std::vector<float> probs(bins);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const int s = std::min(steps - 1, rows[r].in.step / refresh_tokens);
    p.head_.probabilities(std::span<const float>(x).subspan(r * f, f), probs);
    for (int k = 0; k < bins; ++k) p.marginal_[s][k] += probs[k];
    count[s] += 1;
  }
  for (int s = 0; s < steps; ++s)
    for (float& v : p.marginal_[s]) v = count[s] > 0 ? std::max(1e-6f, float(v / count[s])) : 1.0f / bins;
  return p;
}

std::vector<float> probe_predictor::features(const probe_input& in) const {
  std::vector<float> x(mean_.size());
  raw_features(in, x.data());
  for (std::size_t j = 0; j < x.size(); ++j) x[j] = (x[j] - mean_[j]) * inv_std_[j];
  return x;
}

status probe_predictor::fits(const model_config& c) const {
  for (int l : layers_)
    if (l < 1 || l > c.n_layers)
      return status(error_code::invalid_argument,
                    "the probe reads layer " + std::to_string(l) + ", the model has " + std::to_string(c.n_layers));
  if (width_ != static_cast<int>(layers_.size()) * c.dim)
    return status(error_code::invalid_argument, "the probe reads " + std::to_string(width_) +
                                                    " floats per sequence, the model's states are " +
                                                    std::to_string(layers_.size() * c.dim));
  return status::ok_status();
}

int probe_predictor::bin_of(int remaining) const {
  const auto it = std::upper_bound(edges_.begin(), edges_.end(), remaining);
  return std::clamp(static_cast<int>(it - edges_.begin()) - 1, 0, static_cast<int>(edges_.size()) - 2);
}

// b's distribution `tokens` later: bin j's mass, uniform over [e_j, e_j+1),
// moves to [e_j - tokens, e_j+1 - tokens); what falls below 0 is dropped.
std::vector<float> probe_predictor::shifted(const belief& b, int tokens) const {
  const int bins = static_cast<int>(b.p.size());
  std::vector<float> out(bins, 0.0f);
  for (int j = 0; j < bins; ++j) {
    const double lo = edges_[j] - tokens, hi = edges_[j + 1] - tokens, span = edges_[j + 1] - edges_[j];
    for (int k = 0; k < bins; ++k) {
      const double overlap = std::min(hi, double(edges_[k + 1])) - std::max(lo, double(edges_[k]));
      if (overlap > 0) out[k] += float(b.p[j] * overlap / span);
    }
  }
  return out;
}

void probe_predictor::refresh(belief& b, const probe_input& in) const {
  std::vector<float> p(head_.classes());
  head_.probabilities(features(in), p);
  if (options_.smoothing > 0 && b.step >= 0) {
    // belief ∝ (shift(belief) / marginal_s)^smoothing * p
    const std::vector<float> prior = shifted(b, in.step - b.step);
    const std::vector<float>& m = marginal_[std::min<std::size_t>(marginal_.size() - 1, in.step / refresh_tokens_)];
    std::vector<float> post(p.size());
    double total = 0.0;
    for (std::size_t k = 0; k < p.size(); ++k)
      total += (post[k] = std::pow(prior[k] / m[k], options_.smoothing) * p[k]);
    if (total > 0 && std::isfinite(total)) {
      for (float& v : post) v = float((1.0 - kFloor) * v / total + kFloor / post.size());
      p = std::move(post);
    }
  }
  b.p = std::move(p);
  b.step = in.step;
}

int probe_predictor::remaining(const belief& b) const {
  double cum = 0.0;
  for (std::size_t j = 0; j < b.p.size(); ++j) {
    if (cum + b.p[j] >= options_.quantile && b.p[j] > 0) {
      const double frac = (options_.quantile - cum) / b.p[j];
      const double v = edges_[j] + frac * (edges_[j + 1] - edges_[j]) - 0.5;
      return std::clamp(static_cast<int>(std::lround(v)), edges_[j], edges_[j + 1] - 1);
    }
    cum += b.p[j];
  }
  return edges_.back() - 1;
}

void probe_predictor::learn(const probe_example& e, double lr) { head_.step(features(e.in), bin_of(e.remaining), lr); }

status probe_predictor::save(const std::string& path) const {
  const nlohmann::json j = {{"kind", "probe"},
                            {"version", 1},
                            {"layers", layers_},
                            {"refresh_tokens", refresh_tokens_},
                            {"width", width_},
                            {"quantile", options_.quantile},
                            {"smoothing", options_.smoothing},
                            {"edges", edges_},
                            {"mean", mean_},
                            {"inv_std", inv_std_},
                            {"marginal", marginal_},
                            {"head", head_.to_json()}};
  std::ofstream out(path);
  if (!out) return status(error_code::io_error, path + ": cannot create");
  out << j.dump() << "\n";
  out.flush();
  if (!out) return status(error_code::io_error, path + ": write failed");
  return status::ok_status();
}

status_or<probe_predictor> probe_predictor::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return status(error_code::io_error, path + ": cannot open");
  auto invalid = [&](const std::string& why) { return status(error_code::model_invalid, path + ": " + why); };
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    if (j.value("kind", "") != "probe" || j.value("version", 0) != 1) return invalid("not a probe model (version 1)");
    auto head = softmax_mlp::from_json(j.at("head"), path);
    if (!head.ok()) return head.error();
    probe_options o;
    o.quantile = j.at("quantile").get<double>();
    o.smoothing = j.at("smoothing").get<double>();
    const int width = j.at("width").get<int>(), refresh = j.at("refresh_tokens").get<int>();
    probe_predictor p(j.at("layers").get<std::vector<int>>(), refresh, width, o, std::move(*head));
    p.edges_ = j.at("edges").get<std::vector<int>>();
    p.mean_ = j.at("mean").get<std::vector<float>>();
    p.inv_std_ = j.at("inv_std").get<std::vector<float>>();
    p.marginal_ = j.at("marginal").get<std::vector<std::vector<float>>>();
    const int bins = p.head_.classes();
    if (refresh < 1 || o.quantile <= 0 || o.quantile >= 1 || o.smoothing < 0 || o.smoothing > 1 || p.layers_.empty())
      return invalid("bad settings");
    if (p.head_.inputs() != width + kExtra || int(p.mean_.size()) != width + kExtra ||
        p.inv_std_.size() != p.mean_.size() || int(p.edges_.size()) != bins + 1 || p.marginal_.empty())
      return invalid("sizes do not match");
    if (!std::is_sorted(p.edges_.begin(), p.edges_.end(), std::less_equal<int>()) || p.edges_[0] != 0)
      return invalid("bin edges are not increasing from 0");
    for (const auto& m : p.marginal_)
      if (int(m.size()) != bins || !std::all_of(m.begin(), m.end(), [](float v) { return v > 0; }))
        return invalid("a step's marginal is not positive over the bins");
    return p;
  } catch (const nlohmann::json::exception& e) {
    return invalid(e.what());
  }
}

status_or<std::vector<probe_example>> probe_examples(const state_trace& t, std::span<const int> lengths,
                                                     std::span<const int> prompt_tokens,
                                                     const std::vector<bool>& keep) {
  std::vector<probe_example> out;
  for (std::size_t r = 0; r < t.rows(); ++r) {
    const int g = t.generation(r), step = t.step(r);
    if (g >= static_cast<int>(lengths.size()) || g >= static_cast<int>(prompt_tokens.size()) ||
        g >= static_cast<int>(keep.size()))
      return status(error_code::invalid_argument,
                    "state row " + std::to_string(r) + ": generation " + std::to_string(g) + " is not in the dataset");
    if (step > lengths[g])
      return status(error_code::invalid_argument, "state row " + std::to_string(r) + ": step " + std::to_string(step) +
                                                      " is past generation " + std::to_string(g) + "'s length " +
                                                      std::to_string(lengths[g]));
    if (keep[g]) out.push_back({{t.states(r), step, prompt_tokens[g]}, lengths[g] - step});
  }
  return out;
}

}  // namespace binserve
