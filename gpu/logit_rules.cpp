#include "gpu/logit_rules.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <unordered_map>

namespace binserve {

bool logit_rules::active(int generated) const {
  return presence_penalty != 0.0f || frequency_penalty != 0.0f || !bias.empty() || generated < min_tokens;
}

void apply_logit_rules(std::span<float> logits, const logit_rules& rules, std::span<const int> generated,
                       std::span<const int> stop_tokens) {
  const int vocab = static_cast<int>(logits.size());
  for (const logit_bias_entry& e : rules.bias)
    if (e.token >= 0 && e.token < vocab) logits[e.token] += e.bias;
  if (rules.presence_penalty != 0.0f || rules.frequency_penalty != 0.0f) {
    std::unordered_map<int, int> counts;
    for (int t : generated) ++counts[t];
    for (const auto& [t, c] : counts)
      if (t >= 0 && t < vocab) logits[t] -= static_cast<float>(c) * rules.frequency_penalty + rules.presence_penalty;
  }
  if (static_cast<int>(generated.size()) < rules.min_tokens)
    for (int s : stop_tokens)
      if (s >= 0 && s < vocab) logits[s] = -std::numeric_limits<float>::infinity();
}

token_logprobs logprobs_of(std::span<const float> logits, int chosen, int k) {
  // log p(t) = logits[t] - max - log(sum_u exp(logits[u] - max))
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (float x : logits) sum += std::exp(static_cast<double>(x - max));
  const double log_z = static_cast<double>(max) + std::log(sum);
  auto logprob = [&](int t) { return static_cast<float>(static_cast<double>(logits[t]) - log_z); };
  token_logprobs out;
  out.chosen = {chosen, logprob(chosen)};
  k = std::min<int>(k, static_cast<int>(logits.size()));
  std::vector<int> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                    [&](int a, int b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  for (int i = 0; i < k; ++i) out.top.push_back({ids[i], logprob(ids[i])});
  return out;
}

}  // namespace binserve
