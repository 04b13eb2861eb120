// binserve: what a client asks for and what it gets back.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace binserve {

using request_id = std::uint64_t;

struct request {
  // (Every member has an initializer, so designated initializers that name
  // only some compile without -Wmissing-field-initializers warnings.)
  std::string prompt{};           // text, tokenized by the service (BOS added)
  std::vector<int> prompt_ids{};  // used instead of `prompt` when not empty
  float temperature = 0.0f;     // 0: greedy
  float top_p = 1.0f;
  std::uint64_t seed = 0;
  int max_new_tokens = 256;
  // > 0: ignore stop tokens, generate exactly this many (length-trace replay).
  int target_length = 0;
  // > 0: the true response length when known (trace replay), for the
  // `oracle` predictor.
  int known_length = 0;
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
  std::string stop_reason;  // stop_token, max_new_tokens, target_length, context_full
  request_timings timings;
  int predicted_length = 0;
  int bin = 0;      // the bin of its final run (the retry bin after a retry)
  int retries = 0;  // times it overflowed a batch's length cap
};

}  // namespace binserve
