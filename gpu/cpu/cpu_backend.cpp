#include "gpu/cpu/cpu_backend.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>

#include "binserve/names.hpp"
#include "gpu/cpu/matmul.hpp"
#include "gpu/rope_table.hpp"

namespace binserve {

namespace {

// Multiply-adds of a step below which one more thread costs more than it saves.
constexpr std::int64_t kWorkPerThread = std::int64_t(1) << 17;

// Shared loops of a layer: the four matrix product steps and attention.
constexpr int kLoopsPerLayer = 5;

// out (n) = rmsnorm(x (n)) * weight (n), as llama2.c computes it
void rmsnorm(float* out, const float* x, const float* weight, int n, float eps) {
  float ss = 0.0f;
  for (int j = 0; j < n; ++j) ss += x[j] * x[j];
  ss = 1.0f / std::sqrt(ss / n + eps);
  for (int j = 0; j < n; ++j) out[j] = weight[j] * (ss * x[j]);
}

class cpu_backend final : public backend {
 public:
  cpu_backend(std::shared_ptr<const model> m, std::shared_ptr<const host_weights> w, const kv_layout& layout,
              int threads, cpu::isa kernels, std::vector<int> state_layers);

  const model& served_model() const override { return *model_; }
  const kv_cache& kv() const override { return kv_; }
  status_or<int> open_sequence(int reserve_tokens) override { return kv_.open(reserve_tokens); }
  void close_sequence(int seq) override { kv_.close(seq); }
  status forward(std::span<const sequence_chunk> chunks) override;
  std::span<const float> hidden(int i) const override {
    return {norms_[0].data() + std::size_t(i) * c_.dim, std::size_t(c_.dim)};  // set by final_logits
  }
  std::span<const float> logits(int i) const override {
    return {logits_.data() + std::size_t(i) * c_.vocab_size, std::size_t(c_.vocab_size)};
  }
  std::span<const float> layer_states(int i) const override {
    const std::size_t width = state_layers_.size() * c_.dim;
    return {states_.data() + i * width, width};
  }

 private:
  status prepare(std::span<const sequence_chunk> chunks);
  void layer(cpu::team_member& me, int l);
  const float* rmsnorm_rows(const cpu::team_member& me, const float* weight);
  void add_rows(int begin, int end);
  void final_logits(cpu::team_member& me);
  void rope(float* vec, int pos, int begin, int end) const;
  void attention(cpu::team_member& me, int layer);
  float* k_at(int layer, int seq, int pos) { return kv_at(k_cache_, layer, seq, pos); }
  float* v_at(int layer, int seq, int pos) { return kv_at(v_cache_, layer, seq, pos); }
  float* kv_at(std::unique_ptr<float[]>& cache, int layer, int seq, int pos) {
    const int bs = kv_.layout().block_size;
    const std::int64_t block = kv_.block_of(seq, pos);
    return cache.get() + ((std::int64_t(layer) * kv_.layout().n_blocks + block) * bs + pos % bs) * c_.kv_dim();
  }

  std::shared_ptr<const model> model_;
  std::shared_ptr<const host_weights> w_;
  const model_config& c_;
  kv_cache kv_;
  int threads_;
  cpu::matmul matmul_;
  cpu::attention_kernels attn_;
  std::vector<int> state_layers_;  // backend_options::state_layers
  // [n_layers, n_blocks, block_size, kv_dim]; left uninitialised (a position
  // is written before it is read), so untouched pages cost no memory.
  std::unique_ptr<float[]> k_cache_, v_cache_;
  const rope_table rope_;  // [n_ctx, head_dim / 2]

  // Per-forward activations for the n tokens of the batch.
  std::vector<int> tok_, seq_, pos_;             // [n]
  std::vector<int> last_;                        // [chunks]: index of each chunk's last token
  std::vector<float> x_, xb_, q_, k_, v_, att_;  // [n, dim] / [n, kv_dim]
  std::vector<std::vector<float>> norms_;        // per member: [n, dim]
  std::vector<float> hb_, hb2_;                  // [n, hidden_dim]
  std::vector<float> scores_;                    // [threads, n_ctx]
  std::vector<float> logits_;                    // [chunks, vocab_size]
  std::vector<float> states_;                    // [chunks, state_layers, dim]
  std::vector<std::atomic<int>> loops_;          // the team's shared loops: kLoopsPerLayer a layer + 1
};

cpu_backend::cpu_backend(std::shared_ptr<const model> m, std::shared_ptr<const host_weights> w, const kv_layout& layout,
                         int threads, cpu::isa kernels, std::vector<int> state_layers)
    : model_(std::move(m)),
      w_(std::move(w)),
      c_(model_->config),
      kv_(layout, c_.n_ctx),
      threads_(threads),
      matmul_(threads, kernels),
      attn_(cpu::attention_kernels_for(kernels)),
      state_layers_(std::move(state_layers)),
      rope_(make_rope_table(c_)),
      norms_(threads),
      loops_(c_.n_layers * kLoopsPerLayer + 1) {
  const std::size_t cache = std::size_t(c_.n_layers) * layout.n_blocks * layout.block_size * c_.kv_dim();
  k_cache_ = std::make_unique_for_overwrite<float[]>(cache);
  v_cache_ = std::make_unique_for_overwrite<float[]>(cache);
  scores_.resize(std::size_t(threads_) * c_.n_ctx);
}

// Turns the pairs of vec's heads that lie in [begin, end) by pos * theta_i:
// (2i, 2i+1) when the model's RoPE is interleaved (begin even), (i, i +
// head_dim/2) when it is halves (begin and end on head boundaries).
void cpu_backend::rope(float* vec, int pos, int begin, int end) const {
  const int hd = c_.head_dim(), half = hd / 2;
  const float* cs = rope_.cos.data() + std::size_t(pos) * half;
  const float* sn = rope_.sin.data() + std::size_t(pos) * half;
  auto turn = [cs, sn](float& a, float& b, int i) {
    const float v0 = a, v1 = b;
    a = v0 * cs[i] - v1 * sn[i];
    b = v0 * sn[i] + v1 * cs[i];
  };
  if (c_.rope == rope_style::interleaved) {
    for (int j = begin; j < end; j += 2) turn(vec[j], vec[j + 1], (j % hd) / 2);
  } else {
    for (int head = begin; head < end; head += hd)
      for (int i = 0; i < half; ++i) turn(vec[head + i], vec[head + i + half], i);
  }
}

status cpu_backend::prepare(std::span<const sequence_chunk> chunks) {
  std::vector<kv_growth> growths;
  tok_.clear();
  seq_.clear();
  pos_.clear();
  last_.clear();
  for (const sequence_chunk& ch : chunks) {
    if (!kv_.is_open(ch.seq) || ch.tokens.empty())
      return status(error_code::invalid_argument,
                    "forward: sequence " + std::to_string(ch.seq) + " is closed or given no tokens");
    const int start = kv_.length(ch.seq);
    for (size_t i = 0; i < ch.tokens.size(); ++i) {
      if (ch.tokens[i] < 0 || ch.tokens[i] >= c_.vocab_size)
        return status(error_code::invalid_argument,
                      "forward: token " + std::to_string(ch.tokens[i]) + " is outside the vocabulary");
      tok_.push_back(ch.tokens[i]);
      seq_.push_back(ch.seq);
      pos_.push_back(start + static_cast<int>(i));
    }
    last_.push_back(static_cast<int>(tok_.size()) - 1);
    growths.push_back({ch.seq, static_cast<int>(ch.tokens.size())});
  }
  return kv_.grow(growths);
}

// For each token i and query head h: att (i, h) = softmax(q.K^T / sqrt(hd)) V
// over positions 0..pos_i of token i's sequence; K/V head = h / kv_group.
// Members take (token, head) pairs as they become free: one shared loop.
// Positions are walked block by block: within a block they are kv_dim apart.
void cpu_backend::attention(cpu::team_member& me, int layer) {
  const int n = static_cast<int>(tok_.size()), hd = c_.head_dim(), dim = c_.dim;
  const int kv_dim = c_.kv_dim(), bs = kv_.layout().block_size;
  const float scale = 1.0f / std::sqrt(float(hd));
  float* score = scores_.data() + std::size_t(me.index()) * c_.n_ctx;
  auto loop = me.next_loop();
  for (int ih; (ih = loop.take()) < n * c_.n_heads;) {
    const int i = ih / c_.n_heads, h = ih % c_.n_heads, len = pos_[i] + 1;
    const int kv_off = (h / c_.kv_group()) * hd;
    const float* q = q_.data() + std::size_t(i) * dim + h * hd;
    for (int t0 = 0; t0 < len; t0 += bs)
      attn_.scores(q, k_at(layer, seq_[i], t0) + kv_off, kv_dim, std::min(bs, len - t0), hd, scale, score + t0);
    const float max = *std::max_element(score, score + len);
    float sum = 0.0f;
    for (int t = 0; t < len; ++t) sum += (score[t] = std::exp(score[t] - max));
    const float inv_sum = 1.0f / sum;
    for (int t = 0; t < len; ++t) score[t] *= inv_sum;
    float* out = att_.data() + std::size_t(i) * dim + h * hd;
    std::fill(out, out + hd, 0.0f);
    for (int t0 = 0; t0 < len; t0 += bs)
      attn_.mix(score + t0, v_at(layer, seq_[i], t0) + kv_off, kv_dim, std::min(bs, len - t0), hd, out);
  }
}

status cpu_backend::forward(std::span<const sequence_chunk> chunks) {
  if (status s = prepare(chunks); !s.ok()) return s;
  const int n = static_cast<int>(tok_.size()), dim = c_.dim;
  x_.resize(std::size_t(n) * dim);
  xb_.resize(x_.size());
  q_.resize(x_.size());
  att_.resize(x_.size());
  k_.resize(std::size_t(n) * c_.kv_dim());
  v_.resize(k_.size());
  hb_.resize(std::size_t(n) * c_.hidden_dim);
  hb2_.resize(hb_.size());
  logits_.resize(last_.size() * c_.vocab_size);
  states_.resize(last_.size() * state_layers_.size() * dim);

  // x (n, dim) = token_embedding[tok]
  for (int i = 0; i < n; ++i) w_->token_embedding.dequantize_row(tok_[i], x_.data() + std::size_t(i) * dim);
  // One more thread for each kWorkPerThread multiply-adds of the step.
  const int threads = static_cast<int>(std::clamp<std::int64_t>(n * c_.n_params() / kWorkPerThread, 1, threads_));
  cpu::run_team(threads, loops_, [&](cpu::team_member& me) {
    for (int l = 0; l < c_.n_layers; ++l) layer(me, l);
    final_logits(me);
  });
  return status::ok_status();
}

// Layer l on x (n, dim), its steps shared out over the team; x is complete
// on entry and on return. Five shared loops (kLoopsPerLayer), five barriers.
void cpu_backend::layer(cpu::team_member& me, int l) {
  const layer_weights& lw = w_->layers[l];
  const int n = static_cast<int>(tok_.size()), dim = c_.dim, kv_dim = c_.kv_dim(), hidden = c_.hidden_dim;
  // xn = rmsnorm(x) * rms_att
  const float* xn = rmsnorm_rows(me, lw.rms_att);
  // q (n, dim) = xn @ wq^T (+ bq); k, v (n, kv_dim) = xn @ wk^T (+ bk), xn @
  // wv^T (+ bv); RoPE on q and k at each token's position (over whole heads
  // for halves); k, v appended to the cache
  matmul_.run(
      me, xn, n,
      std::array{cpu::product{&lw.wq, q_.data()}, cpu::product{&lw.wk, k_.data()}, cpu::product{&lw.wv, v_.data()}},
      [&](int begin, int end) {
        const int kv_end = std::min(end, kv_dim);
        for (int i = 0; i < n; ++i) {
          float* q = &q_[std::size_t(i) * dim];
          float* k = &k_[std::size_t(i) * kv_dim];
          float* v = &v_[std::size_t(i) * kv_dim];
          if (c_.qkv_bias) {  // before RoPE, as the bias is part of the projection
            for (int j = begin; j < end; ++j) q[j] += lw.bq[j];
            for (int j = begin; j < kv_end; ++j) k[j] += lw.bk[j], v[j] += lw.bv[j];
          }
          rope(q, pos_[i], begin, end);
          if (begin >= kv_end) continue;
          rope(k, pos_[i], begin, kv_end);
          std::copy(k + begin, k + kv_end, k_at(l, seq_[i], pos_[i]) + begin);
          std::copy(v + begin, v + kv_end, v_at(l, seq_[i], pos_[i]) + begin);
        }
      },
      c_.rope == rope_style::halves ? c_.head_dim() : 1);
  me.barrier();
  // att (n, dim) = grouped-query attention over each sequence's cache
  attention(me, l);
  me.barrier();
  // x += att @ wo^T
  matmul_.run(me, att_.data(), n, std::array{cpu::product{&lw.wo, xb_.data()}},
              [&](int begin, int end) { add_rows(begin, end); });
  me.barrier();
  // xn = rmsnorm(x) * rms_ffn
  xn = rmsnorm_rows(me, lw.rms_ffn);
  // hb (n, hidden) = silu(xn @ w1^T) * (xn @ w3^T)
  matmul_.run(me, xn, n, std::array{cpu::product{&lw.w1, hb_.data()}, cpu::product{&lw.w3, hb2_.data()}},
              [&](int begin, int end) {
                for (int i = 0; i < n; ++i)
                  for (int j = begin; j < end; ++j) {
                    float& g = hb_[std::size_t(i) * hidden + j];
                    g = g * (1.0f / (1.0f + std::exp(-g))) * hb2_[std::size_t(i) * hidden + j];
                  }
              });
  me.barrier();
  // x += hb @ w2^T
  matmul_.run(me, hb_.data(), n, std::array{cpu::product{&lw.w2, xb_.data()}},
              [&](int begin, int end) { add_rows(begin, end); });
  me.barrier();
  // states (chunk, k) = x[last] after layer l + 1 when that is state layer k
  const std::size_t width = state_layers_.size() * dim;
  for (std::size_t k = 0; k < state_layers_.size(); ++k)
    if (state_layers_[k] == l + 1 && me.index() == 0)
      for (std::size_t c = 0; c < last_.size(); ++c)
        std::copy_n(&x_[std::size_t(last_[c]) * dim], dim, &states_[c * width + k * dim]);
}

// x (i, j) += xb (i, j) for every token i and begin <= j < end.
void cpu_backend::add_rows(int begin, int end) {
  for (std::size_t i = 0; i < tok_.size(); ++i)
    for (int j = begin; j < end; ++j) x_[i * c_.dim + j] += xb_[i * c_.dim + j];
}

// Member me's own copy of rmsnorm(x (i)) * weight for every token i, so that
// no member waits for another's rows (O(n * dim) next to the products' O(n *
// dim * outputs / members)).
const float* cpu_backend::rmsnorm_rows(const cpu::team_member& me, const float* weight) {
  std::vector<float>& xn = norms_[me.index()];
  xn.resize(x_.size());
  for (std::size_t i = 0; i < tok_.size(); ++i) rmsnorm(&xn[i * c_.dim], &x_[i * c_.dim], weight, c_.dim, c_.norm_eps);
  return xn.data();
}

// logits (chunks, vocab) = rmsnorm(x[last]) @ wcls^T
void cpu_backend::final_logits(cpu::team_member& me) {
  const int n_out = static_cast<int>(last_.size()), dim = c_.dim;
  std::vector<float>& xn = norms_[me.index()];
  xn.resize(std::size_t(n_out) * dim);
  for (int c = 0; c < n_out; ++c)
    rmsnorm(&xn[std::size_t(c) * dim], &x_[std::size_t(last_[c]) * dim], w_->rms_final, dim, c_.norm_eps);
  matmul_.run(me, xn.data(), n_out, std::array{cpu::product{&w_->wcls, logits_.data()}});
}

// Weights of `m`, generating them when the model is a dummy.
status_or<std::shared_ptr<const host_weights>> weights_of(const model& m) {
  if (!m.is_dummy()) return m.weights;
  auto w = std::make_shared<host_weights>(m.config);
  fill_dummy_weights(m.config, m.dummy_seed, *w);
  return std::shared_ptr<const host_weights>(std::move(w));
}

}  // namespace

status_or<std::unique_ptr<backend>> make_cpu_backend(std::shared_ptr<const model> m, const backend_options& options) {
  if (options.dtype != data_type::fp32)
    return status(error_code::invalid_argument,
                  "the cpu backend computes in fp32, not " + name_of(options.dtype) + " (fp16/bf16 need backend cuda)");
  const model_config& c = m->config;
  const std::int64_t kv_bytes = options.kv_cache_bytes > 0 ? options.kv_cache_bytes : default_kv_cache_bytes(c, 4);
  auto layout = kv_layout::plan(c, kv_bytes, 4, options.kv_block_size);
  if (!layout.ok()) return layout.error();
  const std::int64_t weight_bytes = m->is_dummy() ? c.n_params() * 4 : 0;
  const std::int64_t need = weight_bytes + layout->bytes();
  if (need > host_memory_bytes() * 9 / 10)
    return status(error_code::out_of_memory,
                  m->source + ": the CPU backend needs " + std::to_string(need >> 20) + " MiB (weights " +
                      std::to_string(weight_bytes >> 20) + " MiB + KV cache " + std::to_string(layout->bytes() >> 20) +
                      " MiB) but the host has " + std::to_string(host_memory_bytes() >> 20) + " MiB");
  auto kernels = cpu::chosen_isa();
  if (!kernels.ok()) return kernels.error();
  auto w = weights_of(*m);
  if (!w.ok()) return w.error();
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  return std::unique_ptr<backend>(new cpu_backend(std::move(m), *w, *layout, threads, *kernels, options.state_layers));
}

}  // namespace binserve
