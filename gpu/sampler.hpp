// Per-request token sampling: greedy, temperature and nucleus (top-p).
//
// The random draw for step n is a pure function of (seed, n), not a stream:
// a request samples the same tokens whether it runs alone or in a batch, on
// the CPU or a GPU, and after a retry that resumes at step n.
#pragma once

#include <cstdint>
#include <span>

namespace binserve {

struct sampling_params {
  float temperature = 0.0f;  // 0: greedy (argmax)
  float top_p = 1.0f;        // in (0, 1]; 1 disables nucleus filtering
  std::uint64_t seed = 0;
};

// Index of the largest logit; the lowest index wins ties.
int argmax(std::span<const float> logits);

// A uniform draw in [0, 1) for step `step` of a request seeded `seed`.
float sample_uniform(std::uint64_t seed, std::uint64_t step);

// Samples a token from `logits` ([vocab], not modified) for step `step`.
// Preconditions: logits not empty; 0 < top_p <= 1; temperature >= 0.
int sample_token(std::span<const float> logits, const sampling_params& params, std::uint64_t step);

}  // namespace binserve
