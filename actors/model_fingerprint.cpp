#include "actors/model_fingerprint.hpp"

#include <cstdint>
#include <cstdio>
#include <cstring>

#include "gpu/host_weights.hpp"

namespace binserve {

namespace {

class fnv1a {
 public:
  void bytes(const void* p, std::size_t n) {
    const auto* c = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) h_ = (h_ ^ c[i]) * 1099511628211ull;
  }
  template <class T>
  void value(const T& x) {
    bytes(&x, sizeof(T));
  }
  std::uint64_t digest() const { return h_; }

 private:
  std::uint64_t h_ = 14695981039346656037ull;
};

void hash_config(fnv1a& h, const model_config& c) {
  for (int x : {c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size, c.n_ctx})
    h.value(x);
  h.value(c.norm_eps);
  h.value(c.rope_theta);
  h.value(c.shared_classifier);
}

void hash_vocab(fnv1a& h, const vocab& v) {
  for (const std::string& piece : v.pieces) {
    h.value(piece.size());
    h.bytes(piece.data(), piece.size());
  }
  for (float score : v.scores) h.value(score);
  for (int id : {v.bos_id, v.eos_id, v.unk_id}) h.value(id);
}

void hash_weights(fnv1a& h, const std::vector<float>& w) {
  constexpr std::size_t kSamples = 1 << 20;
  h.value(w.size());
  const std::size_t stride = w.size() <= kSamples ? 1 : w.size() / kSamples;
  for (std::size_t i = 0; i < w.size(); i += stride) h.value(w[i]);
}

}  // namespace

std::string model_fingerprint(const model& m) {
  fnv1a h;
  hash_config(h, m.config);
  hash_vocab(h, m.vocab);
  for (int t : m.stop_tokens) h.value(t);
  h.value(m.dummy_seed);
  if (m.weights) hash_weights(h, m.weights->storage);
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h.digest()));
  return out;
}

}  // namespace binserve
