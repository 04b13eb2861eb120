#include "predict/history_predictor.hpp"

#include <algorithm>
#include <cstring>

namespace binserve {

namespace {

// The prompt text, else its ids' bytes; the tag keeps a text that happens to
// equal some ids' bytes from sharing their entry.
std::string key_of(const prediction_input& in) {
  if (!in.prompt.empty()) return "t" + std::string(in.prompt);
  std::string key(1 + in.prompt_ids.size_bytes(), 'i');
  if (!in.prompt_ids.empty()) std::memcpy(key.data() + 1, in.prompt_ids.data(), in.prompt_ids.size_bytes());
  return key;
}

}  // namespace

history_predictor::history_predictor(std::unique_ptr<length_predictor> fallback, size_t capacity)
    : fallback_(std::move(fallback)), capacity_(capacity) {}

int history_predictor::predict(const prediction_input& in) {
  const std::string key = key_of(in);
  auto it = index_.find(std::string_view(key));
  if (it == index_.end()) return fallback_->predict(in);
  lru_.splice(lru_.begin(), lru_, it->second);  // a hit is a use
  return std::clamp(it->second->second, 1, std::max(1, in.max_new_tokens));
}

void history_predictor::observe(const prediction_input& in, int true_length) {
  fallback_->observe(in, true_length);
  std::string key = key_of(in);
  if (auto it = index_.find(std::string_view(key)); it != index_.end()) {
    it->second->second = std::max(it->second->second, true_length);
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  lru_.emplace_front(std::move(key), true_length);
  index_.emplace(std::string_view(lru_.front().first), lru_.begin());
  while (lru_.size() > capacity_) {
    index_.erase(std::string_view(lru_.back().first));
    lru_.pop_back();
  }
}

}  // namespace binserve
