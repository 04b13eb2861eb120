#include "gpu/cuda/device_weights.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "gpu/cuda/check.hpp"
#include "gpu/cuda/kernels/kernels.hpp"

namespace binserve::cuda {

namespace {

// Writes tensors of the model into device memory, one at a time, in the
// host's tensor order: generated from the dummy seed, or copied from the host
// weights (widened to fp32 on the host when they are another type, and
// narrowed on the device through an fp32 staging buffer when T is narrower).
class tensor_writer {
 public:
  tensor_writer(const model& m, data_type t, cudaStream_t stream) : m_(m), t_(t), stream_(stream) {}

  // dst (count; T) = tensor number `tensor` (dummy, bound `scale`) or `host` (count values).
  status matrix(void* dst, const weight_matrix* host, std::int64_t count, float scale) {
    if (m_.is_dummy()) return fill_dummy(dst, count, {m_.dummy_seed, tensor_++, scale}, t_, stream_);
    if (host->f32() != nullptr) return from_f32(dst, host->f32(), count);
    // Another type: widened a chunk of rows at a time into host memory.
    const std::int64_t rows_per_chunk = std::max<std::int64_t>(1, kChunk / host->cols);
    widened_.resize(std::size_t(rows_per_chunk * host->cols));
    for (std::int64_t r = 0; r < host->rows; r += rows_per_chunk) {
      const std::int64_t rows = std::min(rows_per_chunk, host->rows - r);
      for (std::int64_t i = 0; i < rows; ++i) host->dequantize_row(r + i, widened_.data() + i * host->cols);
      BINSERVE_TRY(from_f32(static_cast<char*>(dst) + r * host->cols * element_bytes(t_), widened_.data(),
                            rows * host->cols));
      BINSERVE_CUDA_TRY(cudaStreamSynchronize(stream_));  // widened_ is refilled next
    }
    return status::ok_status();
  }

  // dst (count; fp32) = ones (dummy) or `host`.
  status norm(float* dst, const float* host, std::int64_t count) {
    if (m_.is_dummy()) return fill_f32(dst, count, 1.0f, stream_);
    return check(cudaMemcpyAsync(dst, host, count * 4, cudaMemcpyHostToDevice, stream_),
                 "cudaMemcpyAsync (norms)");
  }

 private:
  static constexpr std::int64_t kChunk = std::int64_t(16) << 20;  // floats: 64 MiB

  // dst (count; T) = host (count; fp32).
  status from_f32(void* dst, const float* host, std::int64_t count) {
    if (t_ == data_type::fp32)
      return check(cudaMemcpyAsync(dst, host, count * 4, cudaMemcpyHostToDevice, stream_),
                   "cudaMemcpyAsync (weights)");
    if (staging_.bytes() == 0) BINSERVE_TRY(staging_.allocate(kChunk * 4, "weight staging buffer"));
    for (std::int64_t off = 0; off < count; off += kChunk) {
      const std::int64_t n = std::min(kChunk, count - off);
      BINSERVE_CUDA_TRY(cudaMemcpyAsync(staging_.get(), host + off, n * 4, cudaMemcpyHostToDevice, stream_));
      BINSERVE_TRY(convert_from_f32(static_cast<char*>(dst) + off * element_bytes(t_),
                                    staging_.get<float>(), n, t_, stream_));
    }
    return status::ok_status();
  }

  const model& m_;
  data_type t_;
  cudaStream_t stream_;
  std::uint64_t tensor_ = 0;  // dummy tensor numbering of fill_dummy_weights
  device_buffer staging_;
  std::vector<float> widened_;  // host rows of a non-fp32 matrix
};

std::int64_t matrix_elements(const model_config& c) {
  const std::int64_t d = c.dim, h = c.hidden_dim, kv = c.kv_dim(), embed = std::int64_t(c.vocab_size) * d;
  return embed * (c.shared_classifier ? 1 : 2) + c.n_layers * (2 * d * d + 2 * kv * d + 3 * h * d);
}

}  // namespace

status device_weights::layout(const model_config& c, data_type t) {
  const std::int64_t d = c.dim, h = c.hidden_dim, kv = c.kv_dim(), eb = element_bytes(t);
  BINSERVE_TRY(matrices_.allocate(matrix_elements(c) * eb, "weights (" + std::to_string(c.n_params()) +
                                                               " parameters)"));
  BINSERVE_TRY(norms_.allocate((2 * c.n_layers + 1) * d * 4, "norm weights"));
  char* m = matrices_.get<char>();
  float* n = norms_.get<float>();
  auto take = [&m, eb](std::int64_t count) { return std::exchange(m, m + count * eb); };
  auto take_norm = [&n](std::int64_t count) { return std::exchange(n, n + count); };
  token_embedding = take(std::int64_t(c.vocab_size) * d);
  layers.resize(c.n_layers);
  for (auto& l : layers) l.rms_att = take_norm(d);
  for (auto& l : layers) l.wq = take(d * d);
  for (auto& l : layers) l.wk = take(kv * d);
  for (auto& l : layers) l.wv = take(kv * d);
  for (auto& l : layers) l.wo = take(d * d);
  for (auto& l : layers) l.rms_ffn = take_norm(d);
  for (auto& l : layers) l.w1 = take(h * d);
  for (auto& l : layers) l.w2 = take(d * h);
  for (auto& l : layers) l.w3 = take(h * d);
  rms_final = take_norm(d);
  wcls = c.shared_classifier ? token_embedding : take(std::int64_t(c.vocab_size) * d);
  return status::ok_status();
}

status_or<std::unique_ptr<device_weights>> device_weights::create(const model& m, data_type t,
                                                                  cudaStream_t stream) {
  std::unique_ptr<device_weights> w(new device_weights());
  const model_config& c = m.config;
  BINSERVE_TRY(w->layout(c, t));
  const std::int64_t d = c.dim, h = c.hidden_dim, kv = c.kv_dim(), embed = std::int64_t(c.vocab_size) * d;
  const float in_d = 1.0f / std::sqrt(float(d)), in_h = 1.0f / std::sqrt(float(h));
  const host_weights* hw = m.weights.get();  // null for dummy models
  auto host = [hw](auto member) -> const weight_matrix* { return hw != nullptr ? &member(*hw) : nullptr; };
  tensor_writer out(m, t, stream);
  // The dummy tensor numbering of fill_dummy_weights: embedding, then per layer wq..w3, then wcls.
  BINSERVE_TRY(out.matrix(w->token_embedding,
                          host([](const host_weights& x) -> const weight_matrix& { return x.token_embedding; }), embed, 1.0f));
  for (int l = 0; l < c.n_layers; ++l) {
    const device_layer& dl = w->layers[l];
    const layer_weights* hl = hw != nullptr ? &hw->layers[l] : nullptr;
    auto norm = [hl](float* layer_weights::*p) -> const float* { return hl != nullptr ? hl->*p : nullptr; };
    auto src = [hl](weight_matrix layer_weights::*p) -> const weight_matrix* {
      return hl != nullptr ? &(hl->*p) : nullptr;
    };
    BINSERVE_TRY(out.norm(dl.rms_att, norm(&layer_weights::rms_att), d));
    BINSERVE_TRY(out.norm(dl.rms_ffn, norm(&layer_weights::rms_ffn), d));
    BINSERVE_TRY(out.matrix(dl.wq, src(&layer_weights::wq), d * d, in_d));
    BINSERVE_TRY(out.matrix(dl.wk, src(&layer_weights::wk), kv * d, in_d));
    BINSERVE_TRY(out.matrix(dl.wv, src(&layer_weights::wv), kv * d, in_d));
    BINSERVE_TRY(out.matrix(dl.wo, src(&layer_weights::wo), d * d, in_d));
    BINSERVE_TRY(out.matrix(dl.w1, src(&layer_weights::w1), h * d, in_d));
    BINSERVE_TRY(out.matrix(dl.w2, src(&layer_weights::w2), d * h, in_h));
    BINSERVE_TRY(out.matrix(dl.w3, src(&layer_weights::w3), h * d, in_d));
  }
  BINSERVE_TRY(out.norm(w->rms_final, hw != nullptr ? hw->rms_final : nullptr, d));
  if (!c.shared_classifier)
    BINSERVE_TRY(out.matrix(w->wcls,
                            host([](const host_weights& x) -> const weight_matrix& { return x.wcls; }), embed, in_d));
  BINSERVE_CUDA_TRY(cudaStreamSynchronize(stream));  // staging and host buffers may go now
  return w;
}

}  // namespace binserve::cuda
