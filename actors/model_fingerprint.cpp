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
  for (int x : {c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size, c.n_ctx}) h.value(x);
  h.value(c.norm_eps);
  h.value(c.rope_theta);
  h.value(c.rope);
  h.value(c.rope_freq_factors.size());
  for (float f : c.rope_freq_factors) h.value(f);
  h.value(c.qkv_bias);
  h.value(c.shared_classifier);
}

void hash_vocab(fnv1a& h, const vocab& v) {
  for (const std::string& piece : v.pieces) {
    h.value(piece.size());
    h.bytes(piece.data(), piece.size());
  }
  for (float score : v.scores) h.value(score);
  for (int id : {v.bos_id, v.eos_id, v.unk_id, v.eot_id}) h.value(id);
  h.value(v.scheme);
  h.value(v.add_bos);
  h.bytes(v.pre.data(), v.pre.size());
  for (const std::string& merge : v.merges) {
    h.value(merge.size());
    h.bytes(merge.data(), merge.size());
  }
}

// Up to 2^12 evenly spaced bytes of each tensor, with its type and shape: a
// few pages of a mapped file, not all of them, at start-up.
void hash_bytes(fnv1a& h, const unsigned char* p, std::size_t n) {
  constexpr std::size_t kSamples = 1 << 12;
  h.value(n);
  const std::size_t stride = n <= kSamples ? 1 : n / kSamples;
  for (std::size_t i = 0; i < n; i += stride) h.value(p[i]);
}

void hash_matrix(fnv1a& h, const weight_matrix& m) {
  h.value(static_cast<std::uint32_t>(m.type));
  h.value(m.rows);
  h.value(m.cols);
  hash_bytes(h, m.data, m.bytes());
}

void hash_weights(fnv1a& h, const host_weights& w) {
  hash_bytes(h, reinterpret_cast<const unsigned char*>(w.storage.data()), w.storage.size() * sizeof(float));
  hash_matrix(h, w.token_embedding);
  for (const layer_weights& l : w.layers)
    for (const weight_matrix* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w1, &l.w2, &l.w3}) hash_matrix(h, *m);
  hash_matrix(h, w.wcls);
}

}  // namespace

std::string model_fingerprint(const model& m) {
  fnv1a h;
  hash_config(h, m.config);
  hash_vocab(h, m.vocab);
  for (int t : m.stop_tokens) h.value(t);
  h.value(m.dummy_seed);
  if (m.weights) hash_weights(h, *m.weights);
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h.digest()));
  return out;
}

}  // namespace binserve
