#include "predict/embedding_predictor.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace binserve {

namespace {

quantile_regressor_options with_features(quantile_regressor_options options, int n_features) {
  options.n_features = n_features;
  return options;
}

// FNV-1a over the ids: the cache key of a prompt. A 64-bit collision (two
// live prompts sharing a key) would only make one observe() train on the
// other's features.
std::uint64_t hash_ids(std::span<const int> ids) {
  std::uint64_t h = 14695981039346656037ull;
  for (const int id : ids) {
    h ^= static_cast<std::uint32_t>(id);
    h *= 1099511628211ull;
  }
  return h;
}

// hidden (scaled to unit L2 norm: models differ in the scale of their
// hidden states, the regressor's learning rate should not), bias, and the
// prompt's log length relative to the context's.
std::vector<sparse_feature> hidden_features(std::span<const float> hidden, std::size_t n_prompt, int n_ctx) {
  double ss = 0.0;
  for (const float v : hidden) ss += double(v) * v;
  const double scale = ss > 0.0 ? 1.0 / std::sqrt(ss) : 0.0;
  const auto dim = static_cast<std::uint32_t>(hidden.size());
  std::vector<sparse_feature> x;
  x.reserve(dim + 2);
  for (std::uint32_t i = 0; i < dim; ++i) x.push_back({i, float(hidden[i] * scale)});
  x.push_back({dim, 1.0f});
  x.push_back({dim + 1, float(std::log1p(double(n_prompt)) / std::log1p(double(n_ctx)))});
  return x;
}

}  // namespace

embedding_predictor::embedding_predictor(std::unique_ptr<backend> b, quantile_regressor_options options, bool online)
    : b_(std::move(b)), model_(with_features(options, b_->served_model().config.dim + 2)), online_(online) {}

std::vector<sparse_feature> embedding_predictor::features(std::span<const int> prompt_ids) {
  const int n_ctx = b_->served_model().config.n_ctx;
  if (prompt_ids.empty()) return {};
  // A longer prompt does not fit the context; its end says most about what
  // comes next.
  const std::size_t keep = std::min(prompt_ids.size(), std::size_t(std::max(1, n_ctx - 1)));
  const std::span<const int> ids = prompt_ids.last(keep);
  auto seq = b_->open_sequence(static_cast<int>(keep));
  if (!seq.ok()) return {};
  const sequence_chunk chunk{*seq, ids};
  std::vector<sparse_feature> x;
  if (b_->forward({&chunk, 1}).ok()) x = hidden_features(b_->hidden(0), prompt_ids.size(), n_ctx);
  b_->close_sequence(*seq);
  return x;
}

std::vector<sparse_feature> embedding_predictor::features_to_predict(std::span<const int> prompt_ids) {
  if (!online_) return features(prompt_ids);  // no observe() will want them
  const std::uint64_t key = hash_ids(prompt_ids);
  if (auto it = cache_.find(key); it != cache_.end()) {
    ++it->second.pending;  // the same prompt in flight twice: one prefill
    return it->second.x;
  }
  std::vector<sparse_feature> x = features(prompt_ids);
  if (x.empty()) return x;
  const std::uint64_t serial = next_serial_++;
  cache_.emplace(key, cache_entry{x, serial, 1});
  cache_order_.emplace_back(key, serial);
  // Entries already observed stay in the order as stale keys, so bounding
  // the order bounds both; only a live entry with its serial is evicted.
  while (cache_order_.size() > kCacheCapacity) {
    const auto [old_key, old_serial] = cache_order_.front();
    cache_order_.pop_front();
    if (auto it = cache_.find(old_key); it != cache_.end() && it->second.serial == old_serial) cache_.erase(it);
  }
  return x;
}

std::vector<sparse_feature> embedding_predictor::features_to_observe(std::span<const int> prompt_ids) {
  auto it = cache_.find(hash_ids(prompt_ids));
  if (it == cache_.end()) return features(prompt_ids);  // evicted, or never predicted
  if (--it->second.pending > 0) return it->second.x;
  std::vector<sparse_feature> x = std::move(it->second.x);
  cache_.erase(it);
  return x;
}

int embedding_predictor::predict(const prediction_input& in) {
  const int limit = std::max(1, in.max_new_tokens);
  const std::vector<sparse_feature> x = features_to_predict(in.prompt_ids);
  if (x.empty()) return limit;
  return static_cast<int>(std::clamp(std::round(model_.predict(x)), 1.0, double(limit)));
}

void embedding_predictor::observe(const prediction_input& in, int true_length) {
  if (!online_) return;
  const std::vector<sparse_feature> x = features_to_observe(in.prompt_ids);
  if (!x.empty()) model_.update(x, std::max(0, true_length));
}

void embedding_predictor::train(const std::vector<example>& examples, int epochs, std::uint64_t seed) {
  // The prefill is the expensive part: one per example, not one per epoch.
  std::vector<std::vector<sparse_feature>> xs;
  std::vector<int> lengths;
  for (const example& e : examples) {
    std::vector<sparse_feature> x = features(e.prompt_ids);
    if (x.empty()) continue;  // the backend failed on it: nothing to learn from
    xs.push_back(std::move(x));
    lengths.push_back(e.length);
  }
  std::vector<std::size_t> order(xs.size());
  std::iota(order.begin(), order.end(), std::size_t(0));
  std::mt19937_64 rng(seed);
  for (int epoch = 0; epoch < epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    for (const std::size_t i : order) model_.update(xs[i], std::max(0, lengths[i]));
  }
}

status embedding_predictor::save(const std::string& path) const { return model_.save_file(path); }

status_or<std::unique_ptr<embedding_predictor>> embedding_predictor::load(const std::string& path,
                                                                          std::unique_ptr<backend> b, bool online) {
  auto m = quantile_regressor::load_file(path);
  if (!m.ok()) return m.error();
  const model& served = b->served_model();
  const int need = served.config.dim + 2;
  if (m->options().n_features != need)
    return status(error_code::model_invalid, path + ": the predictor has " + std::to_string(m->options().n_features) +
                                                 " features, but " + served.source + " (dim " +
                                                 std::to_string(served.config.dim) + ") needs " + std::to_string(need));
  auto p = std::make_unique<embedding_predictor>(std::move(b), m->options(), online);
  p->model_ = std::move(*m);
  return p;
}

}  // namespace binserve
