// Replaying a length trace: the two lengths a benchmark (binserve-bench) and
// the TCP protocol's `target_length` give a request, which no embedder sets
// and the embedding API does not carry.
#pragma once

#include "binserve/service.hpp"

namespace binserve {

struct trace_replay {
  // > 0: ignore stop tokens and stop strings, generate exactly this many
  // (at most max_new_tokens, or invalid_argument naming `target_length`).
  int target_length = 0;
  // > 0: the true response length, told to the length predictor: the
  // `oracle` predicts it, and it wins over a length_hint.
  int known_length = 0;
};

// service::submit of `r` with the replay's lengths.
submission submit_replay(service& s, request r, trace_replay replay, token_callback on_token = {});
request_id submit_replay(service& s, request r, trace_replay replay, token_callback on_token,
                         completion_callback on_done);

}  // namespace binserve
