#include "gpu/rope_table.hpp"

#include <cmath>

namespace binserve {

rope_table make_rope_table(const model_config& c) {
  const int half = c.head_dim() / 2;
  rope_table t;
  t.cos.resize(std::size_t(c.n_ctx) * half);
  t.sin.resize(t.cos.size());
  for (int i = 0; i < half; ++i) {
    float freq = 1.0f / std::pow(c.rope_theta, (2 * i) / float(c.head_dim()));
    if (!c.rope_freq_factors.empty()) freq /= c.rope_freq_factors[std::size_t(i)];
    for (int pos = 0; pos < c.n_ctx; ++pos) {
      const float angle = pos * freq;
      t.cos[std::size_t(pos) * half + i] = std::cos(angle);
      t.sin[std::size_t(pos) * half + i] = std::sin(angle);
    }
  }
  return t;
}

}  // namespace binserve
