// One decode step of sequences on a backend: one forward of each sequence's
// new tokens, a token sampled for each, recorded by its stop rules. The one
// loop of generation: generate_batch runs it until every sequence stops, the
// executor actors once per step of their batch.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "binserve/status.hpp"
#include "gpu/backend.hpp"
#include "gpu/generate.hpp"
#include "gpu/sequence_output.hpp"

namespace binserve {

// A sequence being generated.
struct decoding {
  int seq = -1;           // the backend's sequence
  std::vector<int> feed;  // what the next forward appends: the prompt (and resumed tokens) first, then one token
  sequence_output out;    // its tokens so far and its stop rules
};

// What one step made of one sequence.
struct decoded {
  sampled_token token;
  std::optional<stop_reason> stop;  // set: the sequence ends after this token
  // Whether the token is part of the output (every one but a stop token that
  // ends it): it is streamed, and its log-probabilities kept.
  bool kept() const { return sequence_output::kept(stop); }
};

// Runs one forward of every sequence's feed (`seqs[i]` is chunk i), samples a
// token for each (sample_rows), records it in its output and, unless the
// sequence ends, makes it the sequence's next feed. The backend's last
// forward then holds row i of seqs[i] (logits, layer states).
// Errors: the forward's (nothing appended: gpu/backend.hpp; a refused input
// is invalid_argument, input_too_large or out_of_memory) and sample_rows'
// (backend_failure, the backend's sample contract: nothing recorded, but the
// forward's tokens are in the KV cache, so the step cannot be run again).
[[nodiscard]] status_or<std::vector<decoded>> decode_step(backend& b, std::span<decoding* const> seqs);

}  // namespace binserve
