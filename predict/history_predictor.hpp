// `history`: prompts recur in production. An exact-prompt cache of observed
// lengths (the largest seen, as a max-length prediction), bounded in size
// (least recently used prompts evicted), falling back to another predictor
// for prompts never seen. observe() also feeds the fallback.
#pragma once

#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "predict/length_predictor.hpp"

namespace binserve {

class history_predictor final : public length_predictor {
 public:
  // Precondition: fallback is not null.
  history_predictor(std::unique_ptr<length_predictor> fallback, size_t capacity);

  int predict(const prediction_input& in) override;
  void observe(const prediction_input& in, int true_length) override;
  std::string name() const override { return "history"; }
  size_t size() const { return index_.size(); }

 private:
  std::unique_ptr<length_predictor> fallback_;
  size_t capacity_;
  std::list<std::pair<std::string, int>> lru_;  // key, longest observed; front = most recent
  // Keys view the strings in lru_ (list nodes never move): each prompt is kept once.
  std::unordered_map<std::string_view, std::list<std::pair<std::string, int>>::iterator> index_;
};

}  // namespace binserve
