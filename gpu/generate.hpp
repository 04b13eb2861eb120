// Generation on a backend: one request's stop rules, and a static batch of
// requests run to completion together (one prefill, then decode steps over
// the sequences still live: a finished sequence stops computing).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "binserve/status.hpp"
#include "gpu/backend.hpp"
#include "gpu/sampler.hpp"

namespace binserve {

struct generation_request {
  std::vector<int> prompt_ids;  // starts with BOS for a fresh text
  sampling_params sampling;
  int max_new_tokens = 256;
  // > 0: ignore stop tokens and generate exactly this many tokens (replaying
  // a length trace on dummy weights); bounded by max_new_tokens.
  int target_length = 0;
};

enum class stop_reason {
  stop_token,      // the model sampled one of its stop tokens (not included)
  max_new_tokens,  // the request's limit
  target_length,   // the requested exact length
  context_full,    // prompt + output reached the model's n_ctx
};

// "stop_token", "max_new_tokens", "target_length", "context_full"
const char* to_string(stop_reason reason);

struct generation_result {
  std::vector<int> generated_ids;  // the stop token excluded
  stop_reason reason = stop_reason::max_new_tokens;
};

// Work a static batch did: `decode_steps` forward calls after the prefill,
// each costing one slot per sequence of the batch (live or not).
struct batch_work {
  int decode_steps = 0;
  std::int64_t useful_tokens = 0;  // tokens generated
};

// Called after each sampled token of request `index` (before stop checks
// remove it), on the thread running the batch.
using sampled_token_callback = std::function<void(int index, int token)>;

// Checks `r` against the model: non-empty prompt of known tokens, room in the
// context for at least one new token, max_new_tokens >= 1, target_length <=
// max_new_tokens. Errors: invalid_argument, input_too_large.
status validate_request(const generation_request& r, const model& m);

// The stop reason after `r` has produced `generated` tokens, the last being
// `token`; none while the sequence should go on.
std::optional<stop_reason> stop_after(const generation_request& r, const model& m, int generated,
                                      int token);

// Runs `requests` as one static batch on `b`: opens one sequence per request
// (reserving prompt + max_new_tokens positions), prefills every prompt in one
// forward, decodes until every sequence stops, closes the sequences.
// Errors: those of validate_request (index named), out_of_memory when the
// batch's KV reservation does not fit, backend errors.
status_or<std::vector<generation_result>> generate_batch(
    backend& b, const std::vector<generation_request>& requests,
    const sampled_token_callback& on_token = {}, batch_work* work = nullptr);

}  // namespace binserve
