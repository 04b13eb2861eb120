#include "gpu/cuda/activations.hpp"

#include <algorithm>
#include <tuple>

namespace binserve::cuda {

status activations::reserve_bytes(device_buffer& buffer, std::int64_t bytes, const char* what) {
  if (buffer.bytes() >= bytes) return status::ok_status();
  return buffer.allocate(std::max(bytes, buffer.bytes() * 2), what);
}

status activations::reserve(const model_config& c, data_type t, int n, int n_out) {
  const std::int64_t eb = element_bytes(t);
  if (n > n_cap_) {
    const std::int64_t cap = std::max(n, n_cap_ * 2);
    n_cap_ = 0;  // until every buffer is in place
    const std::int64_t d = c.dim, kv = c.kv_dim(), h = c.hidden_dim;
    for (auto [buf, bytes, what] : {std::tuple{&x, cap * d * 4, "activations x"},
                                    {&xb, cap * d * eb, "activations xb"},
                                    {&q, cap * d * 4, "activations q"},
                                    {&k, cap * kv * 4, "activations k"},
                                    {&v, cap * kv * 4, "activations v"},
                                    {&att, cap * d * eb, "activations att"},
                                    {&hb, cap * h * 4, "activations hb"},
                                    {&hb2, cap * h * 4, "activations hb2"},
                                    {&hb_t, cap * h * eb, "activations hb_t"}})
      if (buf->bytes() < bytes)
        if (status s = buf->allocate(bytes, what); !s.ok()) return s;
    n_cap_ = static_cast<int>(cap);
  }
  if (n_out > out_cap_) {
    const std::int64_t cap = std::max(n_out, out_cap_ * 2);
    out_cap_ = 0;
    if (status s = logits.allocate(cap * c.vocab_size * 4, "logits"); !s.ok()) return s;
    if (status s = hidden.allocate(cap * c.dim * 4, "hidden states"); !s.ok()) return s;
    if (status s = ids.allocate(cap * 4, "sampled ids"); !s.ok()) return s;
    if (status s = probs.allocate(cap * c.vocab_size * 4, "sampling workspace"); !s.ok()) return s;
    out_cap_ = static_cast<int>(cap);
  }
  return status::ok_status();
}

}  // namespace binserve::cuda
