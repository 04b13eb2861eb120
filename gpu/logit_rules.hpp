// What a request asks of the distribution it samples from, besides
// temperature and top-p: OpenAI's presence and frequency penalties and
// logit_bias, vLLM's min_tokens; and the log-probabilities it reports.
//
// Pure functions on one row of logits ([vocab_size]), on the host: a request
// that sets none of these rules samples on its backend's fast path.
#pragma once

#include <span>
#include <vector>

#include "binserve/request.hpp"

namespace binserve {

struct logit_rules {
  float presence_penalty = 0.0f;       // [-2, 2]
  float frequency_penalty = 0.0f;      // [-2, 2]
  std::vector<logit_bias_entry> bias;  // tokens inside the vocabulary
  int min_tokens = 0;                  // stop tokens are masked while fewer were generated

  // Whether any rule changes the logits of a sequence that has generated
  // `generated` tokens.
  [[nodiscard]] bool active(int generated) const;
};

// Applies `rules` to `logits` in place, for a sequence that has generated
// `generated` so far (its stop tokens, `stop_tokens`, excluded: they end it):
//   logits[t] += bias[t]
//   logits[t] -= c_t * frequency_penalty + (c_t > 0) * presence_penalty,
//                c_t = the count of t in `generated`
//   logits[s] = -inf for s in stop_tokens while |generated| < min_tokens
void apply_logit_rules(std::span<float> logits, const logit_rules& rules, std::span<const int> generated,
                       std::span<const int> stop_tokens);

// The log-probability of `chosen` and of the `k` most likely tokens (most
// likely first, the lower id first among equals) under softmax(logits).
// Preconditions: logits not empty; 0 <= chosen < logits.size(); k >= 0.
token_logprobs logprobs_of(std::span<const float> logits, int chosen, int k);

}  // namespace binserve
