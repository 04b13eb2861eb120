// binserve: what a client asks for and what it gets back.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace binserve {

using request_id = std::uint64_t;

// The bounds of request::priority.
inline constexpr int kMinPriority = -1000;
inline constexpr int kMaxPriority = 1000;

// A bias added to one token's logit before sampling (OpenAI's logit_bias).
struct logit_bias_entry {
  int token = 0;
  float bias = 0.0f;  // in [-100, 100]; -100 bans the token in practice
};

// One token and its log-probability under the model's raw distribution: the
// log-softmax of its logits, before temperature, top-p, penalties and biases
// (what vLLM reports by default).
struct token_logprob {
  int token = 0;
  float logprob = 0.0f;
};

// The log-probabilities of one generated token.
struct token_logprobs {
  token_logprob chosen;            // the token generated
  std::vector<token_logprob> top;  // the request's `logprobs` most likely, most likely first
};

struct request {
  // (Every member has an initializer, so designated initializers that name
  // only some compile without -Wmissing-field-initializers warnings.)
  std::string prompt{};           // text, tokenized by the service (BOS added)
  std::vector<int> prompt_ids{};  // used instead of `prompt` when not empty
  float temperature = 0.0f;       // 0: greedy; at most 2
  float top_p = 1.0f;             // in (0, 1]
  // The sampling seed. Absent: the service draws a fresh one (reported in
  // result::seed), so unseeded requests sample independently.
  std::optional<std::uint64_t> seed{};
  // 0: as many as the deployment allows (limits.max_new_tokens, within the
  // model's context).
  int max_new_tokens = 256;
  // Stop strings (at most 16, each 1 to 256 bytes): generation ends at the
  // first token whose text completes one, and the result's text ends before
  // it (stop_reason "stop_string").
  std::vector<std::string> stop{};
  // true: the model's stop tokens do not end generation (vLLM's ignore_eos).
  bool ignore_eos = false;
  // The model's stop tokens cannot be sampled before this many tokens
  // (vLLM's min_tokens); in [0, max_new_tokens].
  int min_tokens = 0;
  // OpenAI's penalties, each in [-2, 2]: before sampling, the logit of every
  // token j generated c_j > 0 times so far drops by
  //   c_j * frequency_penalty + presence_penalty.
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  std::vector<logit_bias_entry> logit_bias{};  // at most one entry per token
  // >= 0: the result (and each streamed token) carries every generated
  // token's log-probability and its `logprobs` most likely alternatives (at
  // most 20); -1: none.
  int logprobs = -1;
  // > 0: the request fails with timed_out if not finished this long after
  // it was submitted.
  std::chrono::milliseconds deadline{0};
  // Whose request it is, for fairness: requests with the same key share one
  // fair share (batches and continuous admission pick round-robin across
  // keys, so one client's flood cannot starve another's requests). Empty:
  // one anonymous client. The TCP server sets "tcp:<connection>", the HTTP
  // server "user:<user>" from the OpenAI `user` field or "http:<connection>";
  // an embedder sets its own.
  std::string client{};
  // The request's scheduling class, in [kMinPriority, kMaxPriority]: HIGHER
  // is MORE urgent. Every request of a higher class is scheduled before any
  // of a lower one (binned policies: at the next batch; continuous ones: at
  // the next step), and within a class the policy's (length-aware) order
  // applies. vLLM's `priority` counts the other way (lower is sooner): a
  // client moving from vLLM negates its values. Outside the bounds:
  // invalid_argument naming `priority`.
  int priority = 0;
  // The client's own estimate of the answer's length in tokens: 0, none;
  // else in [1, max_new_tokens] (after a max_new_tokens of 0 is resolved),
  // or invalid_argument naming `length_hint`. The length predictor takes it
  // as it is or blends it with its own prediction (predictor.hint_weight,
  // docs/predictors.md); a replayed trace's known length
  // (actors/trace_replay.hpp), when set, wins over it.
  int length_hint = 0;
};

struct request_timings {
  double queue_ms = 0;        // submission to the start of its (last) batch
  double first_token_ms = 0;  // submission to the first generated token
  double total_ms = 0;        // submission to the final result
};

struct result {
  request_id id = 0;
  std::string text;
  std::vector<int> prompt_ids;
  std::vector<int> generated_ids;  // the stop token excluded
  // stop_token, stop_string, max_new_tokens, target_length, context_full
  std::string stop_reason;
  request_timings timings;
  int predicted_length = 0;
  int bin = 0;             // the bin of its final run (the retry bin after a retry)
  int retries = 0;         // times it overflowed a batch's length cap
  std::uint64_t seed = 0;  // the sampling seed used (drawn when the request had none)
  // One per generated token (request::logprobs >= 0); empty otherwise.
  std::vector<token_logprobs> logprobs;
};

// One generated token, as streamed to a token_callback.
struct generated_token {
  int index = 0;                           // its position in the output, from 0
  int id = 0;                              // the token (a stop token that ends the text is not streamed)
  std::string text;                        // the bytes it adds: possibly empty, or part of a UTF-8 character
  std::optional<token_logprobs> logprobs;  // when the request asked for them
};

}  // namespace binserve
