// Qwen2's layer on the CPU backend (issue 19, must-show 3): q/k/v biases and
// half-split RoPE, against a forward pass written out plainly here in double
// from the same weights (nothing shared with the backend but the weights and
// the model's shape). Also: the biases are there (zeroing them moves the
// logits), the CUDA backend refuses this layer with a clear error, and the
// Llama 3 / Qwen2 presets have the shapes published for those models.
#include <cmath>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "gpu/backend.hpp"
#include "gpu/model.hpp"

namespace binserve {
namespace {

using vec = std::vector<double>;

// y = W x (+ b) for a fp32 matrix [rows, cols].
vec affine(const weight_matrix& w, const vec& x, const float* b = nullptr) {
  vec y(static_cast<std::size_t>(w.rows));
  for (std::int64_t r = 0; r < w.rows; ++r) {
    double s = b != nullptr ? b[r] : 0.0;
    for (std::int64_t c = 0; c < w.cols; ++c) s += double(w.f32()[r * w.cols + c]) * x[std::size_t(c)];
    y[std::size_t(r)] = s;
  }
  return y;
}

vec rmsnorm(const vec& x, const float* w, double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double k = 1.0 / std::sqrt(ss / double(x.size()) + eps);
  vec y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = x[i] * k * w[i];
  return y;
}

// GPT-NeoX RoPE: in each head, element i turns with element i + head_dim / 2.
void rope_halves(vec& v, int pos, int head_dim, double theta) {
  const int half = head_dim / 2;
  for (std::size_t head = 0; head < v.size(); head += std::size_t(head_dim))
    for (int i = 0; i < half; ++i) {
      const double angle = pos * std::pow(theta, -2.0 * i / head_dim);
      double& a = v[head + std::size_t(i)];
      double& b = v[head + std::size_t(i + half)];
      const double a0 = a, b0 = b;
      a = a0 * std::cos(angle) - b0 * std::sin(angle);
      b = a0 * std::sin(angle) + b0 * std::cos(angle);
    }
}

// Logits after each of `tokens` (one sequence, fed one token at a time).
std::vector<vec> reference_logits(const model& m, const host_weights& w, const std::vector<int>& tokens) {
  const model_config& c = m.config;
  const int hd = c.head_dim(), group = c.n_heads / c.n_kv_heads;
  std::vector<std::vector<vec>> keys(std::size_t(c.n_layers)), values(std::size_t(c.n_layers));
  std::vector<vec> out;
  for (int pos = 0; pos < int(tokens.size()); ++pos) {
    vec x(std::size_t(c.dim));
    for (int i = 0; i < c.dim; ++i) x[std::size_t(i)] = w.token_embedding.f32()[std::size_t(tokens[pos]) * c.dim + i];
    for (int l = 0; l < c.n_layers; ++l) {
      const layer_weights& lw = w.layers[std::size_t(l)];
      const vec xn = rmsnorm(x, lw.rms_att, c.norm_eps);
      vec q = affine(lw.wq, xn, lw.bq), k = affine(lw.wk, xn, lw.bk);
      rope_halves(q, pos, hd, c.rope_theta);
      rope_halves(k, pos, hd, c.rope_theta);
      keys[std::size_t(l)].push_back(k);
      values[std::size_t(l)].push_back(affine(lw.wv, xn, lw.bv));
      vec att(std::size_t(c.dim), 0.0);
      for (int h = 0; h < c.n_heads; ++h) {
        const std::size_t qo = std::size_t(h) * hd, ko = std::size_t(h / group) * hd;
        vec score(std::size_t(pos) + 1);
        double top = -1e300, sum = 0;
        for (int t = 0; t <= pos; ++t) {
          double s = 0;
          for (int d = 0; d < hd; ++d) s += q[qo + d] * keys[std::size_t(l)][std::size_t(t)][ko + d];
          score[std::size_t(t)] = s / std::sqrt(double(hd));
          top = std::max(top, score[std::size_t(t)]);
        }
        for (double& s : score) sum += (s = std::exp(s - top));
        for (int t = 0; t <= pos; ++t)
          for (int d = 0; d < hd; ++d)
            att[qo + d] += score[std::size_t(t)] / sum * values[std::size_t(l)][std::size_t(t)][ko + d];
      }
      const vec o = affine(lw.wo, att);
      for (int i = 0; i < c.dim; ++i) x[std::size_t(i)] += o[std::size_t(i)];
      const vec fn = rmsnorm(x, lw.rms_ffn, c.norm_eps);
      vec gate = affine(lw.w1, fn);
      const vec up = affine(lw.w3, fn);
      for (std::size_t j = 0; j < gate.size(); ++j) gate[j] = gate[j] / (1.0 + std::exp(-gate[j])) * up[j];
      const vec down = affine(lw.w2, gate);
      for (int i = 0; i < c.dim; ++i) x[std::size_t(i)] += down[std::size_t(i)];
    }
    out.push_back(affine(w.wcls, rmsnorm(x, w.rms_final, c.norm_eps)));
  }
  return out;
}

// Logits after each token, the backend fed the prompt's first 5 tokens as one
// chunk and the rest one at a time (prefill and decode both).
std::vector<std::vector<float>> backend_logits(std::shared_ptr<const model> m, const std::vector<int>& tokens) {
  backend_options o;
  o.threads = 2;
  o.kv_cache_bytes = std::int64_t(4) << 20;
  auto b = make_backend(std::move(m), o);
  EXPECT_TRUE(b.ok()) << b.error().to_string();
  if (!b.ok()) return {};
  const int seq = *(*b)->open_sequence(static_cast<int>(tokens.size()));
  std::vector<std::vector<float>> out;
  for (std::size_t at = 0; at < tokens.size();) {
    const std::size_t n = at == 0 ? 5 : 1;
    const sequence_chunk ch{seq, std::span<const int>(tokens.data() + at, n)};
    EXPECT_TRUE((*b)->forward({&ch, 1}).ok());
    at += n;
    const auto l = (*b)->logits(0);
    out.emplace_back(l.begin(), l.end());
  }
  return out;
}

double relative_error(const std::vector<float>& a, const vec& b) {
  double diff = 0, ref = 0;
  for (std::size_t i = 0; i < b.size(); ++i) diff += (a[i] - b[i]) * (a[i] - b[i]), ref += b[i] * b[i];
  return std::sqrt(diff / ref);
}

// A small Qwen2 layer: 4 query heads over 2 KV heads (GQA), head_dim 32.
std::shared_ptr<model> qwen2_dummy() {
  auto m = load_model("dummy:custom,arch=qwen2,dim=128,hidden=256,layers=2,heads=4,kv_heads=2,vocab=300,seed=5");
  EXPECT_TRUE(m.ok()) << m.error().to_string();
  if (!m.ok()) return nullptr;
  auto w = std::make_shared<host_weights>(m->config);
  fill_dummy_weights(m->config, m->dummy_seed, *w);
  auto out = std::make_shared<model>(std::move(*m));
  out->weights = std::move(w);
  out->dummy_seed = 0;
  return out;
}

const std::vector<int> kTokens = {1, 17, 250, 3, 99, 42, 7, 7, 120, 260, 5, 33};

TEST(Qwen2Forward, CpuLogitsEqualAPlainReferenceWithin1e5) {
  auto m = qwen2_dummy();
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->config.qkv_bias);
  ASSERT_EQ(m->config.rope, rope_style::halves);
  const auto want = reference_logits(*m, *m->weights, kTokens);
  const auto got = backend_logits(m, kTokens);
  ASSERT_EQ(got.size(), want.size() - 4);  // the first chunk of 5 gives one row
  double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, relative_error(got[i], want[i + 4]));
  std::printf("[ worst    ] qwen2 cpu logits vs reference: %.3g\n", worst);
  EXPECT_LT(worst, 1e-5);
}

// The biases matter: without them the logits move far beyond the tolerance,
// so the test above would see them missing.
TEST(Qwen2Forward, ZeroBiasesMoveTheLogits) {
  auto m = qwen2_dummy();
  ASSERT_NE(m, nullptr);
  const auto with = backend_logits(m, kTokens);
  auto w = std::make_shared<host_weights>(m->config);
  fill_dummy_weights(m->config, 5, *w);
  for (auto& l : w->layers) {
    std::fill_n(l.bq, m->config.dim, 0.0f);
    std::fill_n(l.bk, m->config.kv_dim(), 0.0f);
    std::fill_n(l.bv, m->config.kv_dim(), 0.0f);
  }
  auto zero = std::make_shared<model>(*m);
  zero->weights = std::move(w);
  const auto without = backend_logits(zero, kTokens);
  const auto reference = reference_logits(*m, *m->weights, kTokens);
  ASSERT_EQ(with.size(), without.size());
  EXPECT_GT(relative_error(without.back(), reference.back()), 1e-2);
}

TEST(Qwen2Forward, CudaRefusesTheLayerWithAClearError) {
  auto m = qwen2_dummy();
  ASSERT_NE(m, nullptr);
  backend_options o;
  o.kind = backend_kind::cuda;
  auto b = make_backend(m, o);
  ASSERT_FALSE(b.ok());
  if (b.error().message().find("is not in this build") != std::string::npos)
    GTEST_SKIP() << "skipped: this build has no CUDA plugin: " << b.error().to_string();
  EXPECT_EQ(b.error().code(), error_code::invalid_argument) << b.error().to_string();
  EXPECT_NE(b.error().message().find("biases"), std::string::npos) << b.error().to_string();
}

TEST(ModelPresets, Llama3AndQwen2ShapesAreThePublishedOnes) {
  const model_config q = *model_preset("qwen2.5-0.5b");
  EXPECT_EQ(q.n_params(), 494032768);  // Qwen2.5-0.5B's parameter count (tied embeddings)
  EXPECT_TRUE(q.qkv_bias);
  EXPECT_EQ(q.rope, rope_style::halves);
  const model_config l = *model_preset("llama3.2-1b");
  EXPECT_EQ(l.n_params(), 1235814400);  // Llama-3.2-1B's (tied)
  ASSERT_EQ(l.rope_freq_factors.size(), 32u);
  EXPECT_EQ(l.rope_freq_factors.front(), 1.0f);  // short wavelengths keep their frequency
  EXPECT_EQ(l.rope_freq_factors.back(), 32.0f);  // long ones are divided by the factor
  for (std::size_t i = 1; i < l.rope_freq_factors.size(); ++i)
    EXPECT_GE(l.rope_freq_factors[i], l.rope_freq_factors[i - 1]) << i;
  EXPECT_EQ(model_preset("smollm2-135m")->n_params(), 134515008);  // SmolLM2-135M's
  EXPECT_EQ(model_preset("llama3-8b")->n_params(), 8030261248);    // Llama-3-8B's
}

}  // namespace
}  // namespace binserve
