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
#include "gpu/generation_request.hpp"
#include "gpu/logit_rules.hpp"
#include "gpu/sampler.hpp"
#include "gpu/stop_strings.hpp"

namespace binserve {

enum class stop_reason {
  stop_token,      // the model sampled one of its stop tokens (not included)
  stop_string,     // the text completed one of the request's stop strings
  max_new_tokens,  // the request's limit
  target_length,   // the requested exact length
  context_full,    // prompt + output reached the model's n_ctx
};

// "stop_token", "stop_string", "max_new_tokens", "target_length", "context_full"
const char* to_string(stop_reason reason);

struct generation_result {
  std::vector<int> generated_ids;  // the stop token excluded
  stop_reason reason = stop_reason::max_new_tokens;
  // One per generated token (the stop token's dropped, as the service's
  // result does), when request.logprobs >= 0.
  std::vector<token_logprobs> logprobs;
};

// Work a static batch did: `decode_steps` forward calls after the prefill,
// each costing one slot per sequence of the batch (live or not).
struct batch_work {
  int decode_steps = 0;
  std::int64_t useful_tokens = 0;  // tokens generated
};

// Called after each sampled token of request `index` (before stop checks
// remove it), on the thread running the batch. `chunk` is the request's row
// in the backend's last forward (its logits(chunk), layer_states(chunk)).
using sampled_token_callback = std::function<void(int index, int token, int chunk)>;

// The limits of a request's lists (binserve/request.hpp).
inline constexpr std::size_t kMaxStopStrings = 16;
inline constexpr std::size_t kMaxStopStringBytes = 256;
inline constexpr int kMaxLogprobs = 20;

// The one check of a request's content, whichever entry point it came by:
// a non-empty prompt of known tokens with room in the context for at least
// one new token, max_new_tokens >= 1, target_length and min_tokens within
// it, temperature in [0, 2], top_p in (0, 1], penalties in [-2, 2], biases in
// [-100, 100] on distinct known tokens, logprobs in [-1, 20], at most 16
// stop strings of 1 to 256 bytes. Errors: invalid_argument, input_too_large;
// the message names the field.
status validate_request(const generation_request& r, const model& m);

// The stop reason after `r` has produced `generated` tokens, the last being
// `token`, whose text completed a stop string when `stop_string_done`; none
// while the sequence should go on.
std::optional<stop_reason> stop_after(const generation_request& r, const model& m, int generated, int token,
                                      bool stop_string_done = false);

// One sequence's part in a sampling step: its rules and its tokens so far
// (the step's index in its random stream is generated.size()).
struct sampling_row {
  const generation_request* request = nullptr;
  std::span<const int> generated;
};

struct sampled_token {
  int token = 0;
  std::optional<token_logprobs> logprobs;  // when request->logprobs >= 0
};

// Samples one token per chunk of b's last forward, row i for chunk i: rows
// whose logit rules are active sample on the host from their processed
// logits, the others with b.sample (a device backend's fast path).
// Errors: backend_failure from b.sample, or b.health() once logits were read
// (a device backend's failed copy leaves NaNs): never a token made up then.
[[nodiscard]] status_or<std::vector<sampled_token>> sample_rows(const backend& b, std::span<const sampling_row> rows);

// Runs `requests` as one static batch on `b`: opens one sequence per request
// (reserving prompt + max_new_tokens positions), prefills every prompt in one
// forward, decodes until every sequence stops, closes the sequences.
// Errors: those of validate_request (index named), out_of_memory when the
// batch's KV reservation does not fit, backend errors of forward and
// sample_rows (on_token has then had the tokens sampled before, no more).
status_or<std::vector<generation_result>> generate_batch(backend& b, const std::vector<generation_request>& requests,
                                                         const sampled_token_callback& on_token = {},
                                                         batch_work* work = nullptr);

}  // namespace binserve
