#include "gpu/cuda/device_weights.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "gpu/cuda/check.hpp"
#include "gpu/cuda/kernels/kernels.hpp"
#include "gpu/weight_layout.hpp"

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
      BINSERVE_TRY(
          from_f32(static_cast<char*>(dst) + r * host->cols * element_bytes(t_), widened_.data(), rows * host->cols));
      BINSERVE_CUDA_TRY(cudaStreamSynchronize(stream_));  // widened_ is refilled next
    }
    return status::ok_status();
  }

  // dst (count; fp32) = ones (dummy) or `host`.
  status norm(float* dst, const float* host, std::int64_t count) {
    if (m_.is_dummy()) return fill_f32(dst, count, 1.0f, stream_);
    return check(cudaMemcpyAsync(dst, host, count * 4, cudaMemcpyHostToDevice, stream_), "cudaMemcpyAsync (norms)");
  }

 private:
  static constexpr std::int64_t kChunk = std::int64_t(16) << 20;  // floats: 64 MiB

  // dst (count; T) = host (count; fp32).
  status from_f32(void* dst, const float* host, std::int64_t count) {
    if (t_ == data_type::fp32)
      return check(cudaMemcpyAsync(dst, host, count * 4, cudaMemcpyHostToDevice, stream_), "cudaMemcpyAsync (weights)");
    if (staging_.bytes() == 0) BINSERVE_TRY(staging_.allocate(kChunk * 4, "weight staging buffer"));
    for (std::int64_t off = 0; off < count; off += kChunk) {
      const std::int64_t n = std::min(kChunk, count - off);
      BINSERVE_CUDA_TRY(cudaMemcpyAsync(staging_.get(), host + off, n * 4, cudaMemcpyHostToDevice, stream_));
      BINSERVE_TRY(
          convert_from_f32(static_cast<char*>(dst) + off * element_bytes(t_), staging_.get<float>(), n, t_, stream_));
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
  std::int64_t per_layer = 0;
  for (layer_tensor t : kLayerTensors)
    if (!is_norm(t)) per_layer += shape_of(t, c).elements();
  const std::int64_t embed = std::int64_t(c.vocab_size) * c.dim;
  return embed * (c.shared_classifier ? 1 : 2) + c.n_layers * per_layer;
}

}  // namespace

status device_weights::layout(const model_config& c, data_type t) {
  const std::int64_t d = c.dim, eb = element_bytes(t);
  BINSERVE_TRY(
      matrices_.allocate(matrix_elements(c) * eb, "weights (" + std::to_string(c.n_params()) + " parameters)"));
  BINSERVE_TRY(norms_.allocate((2 * c.n_layers + 1) * d * 4, "norm weights"));
  char* m = matrices_.get<char>();
  float* n = norms_.get<float>();
  auto take = [&m, eb](std::int64_t count) { return std::exchange(m, m + count * eb); };
  auto take_norm = [&n](std::int64_t count) { return std::exchange(n, n + count); };
  token_embedding = take(std::int64_t(c.vocab_size) * d);
  layers.resize(c.n_layers);
  for (layer_tensor lt : kLayerTensors) {  // checkpoint order (gpu/weight_layout.hpp)
    const std::int64_t count = shape_of(lt, c).elements();
    for (auto& l : layers)
      if (is_norm(lt))
        norm_member(l, lt) = take_norm(count);
      else
        matrix_member(l, lt) = take(count);
  }
  rms_final = take_norm(d);
  wcls = c.shared_classifier ? token_embedding : take(std::int64_t(c.vocab_size) * d);
  return status::ok_status();
}

status_or<std::unique_ptr<device_weights>> device_weights::create(const model& m, data_type t, cudaStream_t stream) {
  std::unique_ptr<device_weights> w(new device_weights());
  const model_config& c = m.config;
  BINSERVE_TRY(w->layout(c, t));
  const std::int64_t d = c.dim, embed = std::int64_t(c.vocab_size) * d;
  const host_weights* hw = m.weights.get();  // null for dummy models
  auto host = [hw](auto member) -> const weight_matrix* { return hw != nullptr ? &member(*hw) : nullptr; };
  tensor_writer out(m, t, stream);
  // The dummy tensor numbering of fill_dummy_weights (gpu/weight_layout.hpp).
  BINSERVE_TRY(out.matrix(w->token_embedding,
                          host([](const host_weights& x) -> const weight_matrix& { return x.token_embedding; }), embed,
                          1.0f));
  for (int l = 0; l < c.n_layers; ++l) {
    device_layer& dl = w->layers[l];
    const layer_weights* hl = hw != nullptr ? &hw->layers[l] : nullptr;
    for (layer_tensor lt : kLayerTensors) {
      const tensor_shape s = shape_of(lt, c);
      if (is_norm(lt))
        BINSERVE_TRY(out.norm(norm_member(dl, lt), hl != nullptr ? norm_member(*hl, lt) : nullptr, s.rows));
      else
        BINSERVE_TRY(out.matrix(matrix_member(dl, lt), hl != nullptr ? &matrix_member(*hl, lt) : nullptr, s.elements(),
                                dummy_scale(s.cols)));
    }
  }
  BINSERVE_TRY(out.norm(w->rms_final, hw != nullptr ? hw->rms_final : nullptr, d));
  if (!c.shared_classifier)
    BINSERVE_TRY(out.matrix(w->wcls, host([](const host_weights& x) -> const weight_matrix& { return x.wcls; }), embed,
                            dummy_scale(d)));
  BINSERVE_CUDA_TRY(cudaStreamSynchronize(stream));  // staging and host buffers may go now
  return w;
}

}  // namespace binserve::cuda
