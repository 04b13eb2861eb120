// `embedding`: the served model perceives its own response length. Features
// are the model's final hidden state after the prompt (a prefill on the
// predictor's own backend), plus a bias and the log prompt length, with the
// same quantile-regression head as `learned`.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gpu/backend.hpp"
#include "predict/dataset.hpp"
#include "predict/length_predictor.hpp"
#include "predict/quantile_regression.hpp"

namespace binserve {

class embedding_predictor final : public length_predictor {
 public:
  // `b`: a backend of its own (the predictor's prefills never touch the
  // executors' KV caches). options.n_features is set to dim + 2.
  embedding_predictor(std::unique_ptr<backend> b, quantile_regressor_options options, bool online);

  // Prefills each example once, then runs `epochs` SGD passes over the
  // cached features in a seeded shuffled order.
  void train(const std::vector<example>& examples, int epochs, std::uint64_t seed);
  // Prompts longer than n_ctx - 1 tokens are read by their last n_ctx - 1.
  // With no prompt ids, or when the prefill fails (e.g. the KV cache is
  // full), the prediction is in.max_new_tokens: the safe maximum, never an
  // under-prediction.
  int predict(const prediction_input& in) override;
  // Trains on the features predict() computed for the same prompt when
  // `online` (a fresh prefill when they were evicted); otherwise a no-op.
  void observe(const prediction_input& in, int true_length) override;
  std::string name() const override { return "embedding"; }

  status save(const std::string& path) const;
  // Errors: io_error, model_invalid (also when the file's feature count does
  // not match this model's dim + 2).
  static status_or<std::unique_ptr<embedding_predictor>> load(const std::string& path, std::unique_ptr<backend> b,
                                                              bool online);

 private:
  // Features of a prompt: its hidden state (one prefill), bias, log length.
  // Empty when the backend fails.
  std::vector<sparse_feature> features(std::span<const int> prompt_ids);

  // predict() keeps each prompt's features until its observe(), so online
  // learning costs no second prefill per request. Keyed by a hash of the
  // prompt ids; bounded to the last kCacheCapacity predictions (oldest out).
  struct cache_entry {
    std::vector<sparse_feature> x;
    std::uint64_t serial;  // when inserted: tells this entry from a later one
    int pending;           // predictions of this prompt not yet observed
  };
  static constexpr std::size_t kCacheCapacity = 4096;
  std::vector<sparse_feature> features_to_predict(std::span<const int> prompt_ids);
  std::vector<sparse_feature> features_to_observe(std::span<const int> prompt_ids);

  std::unique_ptr<backend> b_;
  quantile_regressor model_;
  bool online_;
  std::unordered_map<std::uint64_t, cache_entry> cache_;
  std::deque<std::pair<std::uint64_t, std::uint64_t>> cache_order_;  // (hash, serial), oldest first
  std::uint64_t next_serial_ = 0;

  friend struct embedding_predictor_test_access;  // tests read features()
};

}  // namespace binserve
