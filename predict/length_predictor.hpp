// Response-length predictors: how long will this request's answer be?
//
// The scheduler bins requests by the prediction, so predictors are asked for
// a likely *maximum* (under-prediction costs a recomputation, over-prediction
// only some padding). Every finished request's true length comes back
// through `observe`, the feedback path learned predictors train on.
//
// Owned and called by one predictor actor; need not be thread-safe.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "binserve/config.hpp"
#include "binserve/status.hpp"

namespace binserve {

struct prediction_input {
  std::string_view prompt;  // the text (may be empty for id-only requests)
  std::span<const int> prompt_ids;
  int known_length = 0;    // > 0 when the client knows the true length
  int max_new_tokens = 0;  // the request's limit: predictions stay within [1, it]
  // > 0: the client's own estimate (request::length_hint). Predictors never
  // read it: hinted_predictor (predict/length_hint.hpp) applies it.
  int length_hint = 0;
};

class length_predictor {
 public:
  virtual ~length_predictor() = default;

  // Predicted response length in tokens, in [1, in.max_new_tokens].
  virtual int predict(const prediction_input& in) = 0;

  // Feedback: the request `in` produced `true_length` tokens.
  virtual void observe(const prediction_input& in, int true_length) = 0;

  virtual std::string name() const = 0;
};

}  // namespace binserve
