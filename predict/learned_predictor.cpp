#include "predict/learned_predictor.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "predict/prompt_features.hpp"

namespace binserve {

learned_predictor::learned_predictor(const quantile_regressor_options& options, bool online)
    : model_(options), online_(online) {}

learned_predictor::learned_predictor(quantile_regressor model, bool online)
    : model_(std::move(model)), online_(online) {}

std::vector<sparse_feature> learned_predictor::features(std::string_view prompt, std::span<const int> ids) const {
  return prompt_features(prompt, ids, model_.options().n_features);
}

void learned_predictor::train(const std::vector<example>& examples, int epochs, std::uint64_t seed) {
  // Features once, not once per epoch: hashing dominates an SGD step.
  std::vector<std::vector<sparse_feature>> x;
  x.reserve(examples.size());
  for (const example& e : examples) x.push_back(features(e.prompt, e.prompt_ids));
  std::vector<std::size_t> order(examples.size());
  std::iota(order.begin(), order.end(), std::size_t(0));
  std::mt19937_64 rng(seed);
  for (int epoch = 0; epoch < epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    for (std::size_t i : order) model_.update(x[i], examples[i].length);
  }
}

int learned_predictor::predict(const prediction_input& in) {
  const double limit = std::max(1, in.max_new_tokens);
  const double p = std::round(model_.predict(features(in.prompt, in.prompt_ids)));
  return int(std::clamp(p, 1.0, limit));
}

void learned_predictor::observe(const prediction_input& in, int true_length) {
  if (online_) model_.update(features(in.prompt, in.prompt_ids), true_length);
}

status learned_predictor::save(const std::string& path) const { return model_.save_file(path); }

status_or<std::unique_ptr<learned_predictor>> learned_predictor::load(const std::string& path, bool online) {
  auto model = quantile_regressor::load_file(path);
  if (!model.ok()) return model.error();
  if (model->options().n_features <= prompt_feature_hashed_begin)
    return status(error_code::model_invalid, path + ": too few features for prompt features");
  return std::unique_ptr<learned_predictor>(new learned_predictor(std::move(*model), online));
}

}  // namespace binserve
