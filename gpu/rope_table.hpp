// The angles RoPE turns each (position, pair) of a head by, as cos and sin
// tables: theta_i = rope_theta^(-2i / head_dim) / factor_i (factor 1 when
// the model has no rope_freq_factors), angle = pos * theta_i, in float as
// llama2.c computes it. Every backend rotates by these same values.
#pragma once

#include <vector>

#include "gpu/model_config.hpp"

namespace binserve {

struct rope_table {
  std::vector<float> cos, sin;  // [n_ctx, head_dim / 2]
};

rope_table make_rope_table(const model_config& c);

}  // namespace binserve
