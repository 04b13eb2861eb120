#include "gpu/cuda/cuda_backend.hpp"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "gpu/backend_plugin.hpp"
#include "gpu/cuda/activations.hpp"
#include "gpu/cuda/attention_plan.hpp"
#include "gpu/cuda/check.hpp"
#include "gpu/cuda/device_weights.hpp"
#include "gpu/cuda/gemm.hpp"
#include "gpu/cuda/kernels/kernels.hpp"
#include "gpu/rope_table.hpp"

namespace binserve::cuda {

namespace {

class cuda_backend final : public backend {
 public:
  cuda_backend(std::shared_ptr<const model> m, data_type t, int device)
      : model_(std::move(m)), c_(model_->config), t_(t), device_(device) {}
  ~cuda_backend() override;

  status init(const backend_options& options);

  const model& served_model() const override { return *model_; }
  const kv_cache& kv() const override { return *kv_; }
  status_or<int> open_sequence(int reserve_tokens) override { return kv_->open(reserve_tokens); }
  void close_sequence(int seq) override { kv_->close(seq); }
  status forward(std::span<const sequence_chunk> chunks) override;
  std::span<const float> logits(int i) const override;
  std::span<const float> hidden(int i) const override;
  std::span<const float> layer_states(int i) const override;
  status_or<std::vector<int>> sample(std::span<const sampling_params> params,
                                     std::span<const std::uint64_t> steps) const override;
  status_or<double> measure_memory_bandwidth() override;
  status synchronize() override;
  status health() const override { return failed_; }

 private:
  // Makes `s` the sticky failure, as backend_failure whatever the failing
  // call's code (an allocation included): the backend is unusable now, which
  // is no request's fault. Returns it.
  status fail(status s) const;
  status sample_temperature_rows(std::span<const sampling_params> params, std::span<const std::uint64_t> steps,
                                 int rows) const;
  status init_kv_cache(const backend_options& options);
  status init_rope();
  status prepare(std::span<const sequence_chunk> chunks);
  status reserve(int n, int n_out);
  status run(int n, int n_out);
  status upload_meta(int* device);
  status reserve_meta_staging(std::size_t ints);
  status layer(int l, int n, const kv_view& kv);
  // Copies `device` (count floats) into `host` once per forward; NaNs after a failure.
  void fetch(std::vector<float>& host, bool& ready, const device_buffer& device, std::size_t count) const;

  std::shared_ptr<const model> model_;
  const model_config& c_;
  data_type t_;
  int device_;
  std::vector<int> state_layers_;  // backend_options::state_layers
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  std::unique_ptr<device_weights> w_;
  std::unique_ptr<kv_cache> kv_;
  device_buffer k_cache_, v_cache_;    // [n_layers, n_blocks, block_size, kv_dim] T
  device_buffer rope_cos_, rope_sin_;  // [n_ctx, head_dim / 2] fp32, the CPU backend's values
  mutable activations a_;              // sample() grows sample_args

  // The last forward, on the host: [tok n][pos n][chunk_of n][last n_out][block_table n_out x max_blocks]
  std::vector<int> meta_;
  // meta_'s pinned staging copy: a pageable source could make the copy wait for
  // the stream; meta_copied_ marks when the last upload has read it.
  int* meta_pinned_ = nullptr;
  std::size_t meta_pinned_ints_ = 0;
  cudaEvent_t meta_copied_ = nullptr;
  int n_ = 0, n_out_ = 0, max_blocks_ = 0, max_len_ = 0;
  attention_params attention_;  // the last forward's split plan
  mutable status failed_;       // sticky CUDA failure (fetch and sample set it too)
  mutable std::vector<float> logits_host_, hidden_host_, states_host_;
  mutable bool logits_ready_ = false, hidden_ready_ = false, states_ready_ = false;
};

cuda_backend::~cuda_backend() {
  (void)cudaSetDevice(device_);
  if (stream_ != nullptr) (void)cudaStreamSynchronize(stream_);
  if (cublas_ != nullptr) (void)cublasDestroy(cublas_);
  if (meta_copied_ != nullptr) (void)cudaEventDestroy(meta_copied_);
  if (meta_pinned_ != nullptr) (void)cudaFreeHost(meta_pinned_);
  if (stream_ != nullptr) (void)cudaStreamDestroy(stream_);
}

status cuda_backend::init(const backend_options& options) {
  state_layers_ = options.state_layers;
  BINSERVE_CUDA_TRY(cudaSetDevice(device_));
  BINSERVE_CUDA_TRY(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  BINSERVE_TRY(check(cublasCreate(&cublas_), "cublasCreate"));
  BINSERVE_TRY(check(cublasSetStream(cublas_, stream_), "cublasSetStream"));
  BINSERVE_CUDA_TRY(cudaEventCreateWithFlags(&meta_copied_, cudaEventDisableTiming));
  auto w = device_weights::create(*model_, t_, stream_);
  if (!w.ok()) return status(w.error().code(), model_->source + ": " + w.error().message());
  w_ = std::move(*w);
  BINSERVE_TRY(init_kv_cache(options));
  return init_rope();
}

status cuda_backend::init_kv_cache(const backend_options& options) {
  size_t free_b = 0, total_b = 0;
  BINSERVE_CUDA_TRY(cudaMemGetInfo(&free_b, &total_b));
  const std::int64_t free_bytes = static_cast<std::int64_t>(free_b);
  std::int64_t bytes = options.kv_cache_bytes;
  if (bytes <= 0) {
    auto fit = device_kv_cache_bytes(c_, element_bytes(t_), w_->matrix_bytes(), free_bytes,
                                     static_cast<std::int64_t>(total_b), options.device_memory_share);
    if (!fit.ok())
      return status(fit.error().code(), "device " + std::to_string(device_) + ": " + fit.error().message());
    bytes = *fit;
  }
  if (bytes > free_bytes)
    return status(error_code::out_of_memory, "KV cache of " + std::to_string(bytes >> 20) +
                                                 " MiB does not fit: " + std::to_string(free_bytes >> 20) + " MiB of " +
                                                 std::to_string(total_b >> 20) + " MiB free on device " +
                                                 std::to_string(device_) + " after " +
                                                 std::to_string(w_->matrix_bytes() >> 20) + " MiB of weights");
  auto layout = kv_layout::plan(c_, std::max<std::int64_t>(bytes, 0), element_bytes(t_), options.kv_block_size);
  if (!layout.ok()) return layout.error();
  BINSERVE_TRY(k_cache_.allocate(layout->bytes() / 2, "KV cache (keys)"));
  BINSERVE_TRY(v_cache_.allocate(layout->bytes() / 2, "KV cache (values)"));
  kv_ = std::make_unique<kv_cache>(*layout, c_.n_ctx);
  return status::ok_status();
}

// The RoPE tables every backend rotates by (gpu/rope_table.hpp), uploaded.
status cuda_backend::init_rope() {
  const rope_table t = make_rope_table(c_);
  const std::int64_t bytes = static_cast<std::int64_t>(t.cos.size()) * 4;
  BINSERVE_TRY(rope_cos_.allocate(bytes, "RoPE table"));
  BINSERVE_TRY(rope_sin_.allocate(bytes, "RoPE table"));
  // On the backend's own (non-blocking) stream, which the legacy stream of a
  // plain cudaMemcpy would not order before the first forward; the host
  // tables must outlive the copies.
  BINSERVE_CUDA_TRY(cudaMemcpyAsync(rope_cos_.get(), t.cos.data(), bytes, cudaMemcpyHostToDevice, stream_));
  BINSERVE_CUDA_TRY(cudaMemcpyAsync(rope_sin_.get(), t.sin.data(), bytes, cudaMemcpyHostToDevice, stream_));
  return check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize (RoPE tables)");
}

// Device buffers for a forward of n tokens, n_out chunks and sequences of up
// to max_len_ positions: activations, metadata, attention workspace, layer states.
status cuda_backend::reserve(int n, int n_out) {
  BINSERVE_TRY(a_.reserve(c_, t_, n, n_out));
  const int bs = kv_->layout().block_size;
  max_blocks_ = (max_len_ + bs - 1) / bs;
  const std::int64_t meta_ints = std::int64_t(3) * n + n_out + std::int64_t(n_out) * max_blocks_;
  BINSERVE_TRY(activations::reserve_bytes(a_.meta, meta_ints * 4, "forward metadata"));
  BINSERVE_TRY(reserve_meta_staging(static_cast<std::size_t>(meta_ints)));
  attention_ = {a_.q.get<float>(), a_.att.get(), nullptr, n, c_.n_heads, c_.kv_group(), c_.head_dim()};
  const attention_plan plan = plan_attention(n, c_.n_heads, max_len_);  // batch-invariant splits
  attention_.n_splits = plan.n_splits;
  attention_.split_len = plan.split_len;
  BINSERVE_TRY(activations::reserve_bytes(a_.partial, attention_workspace_bytes(attention_), "attention workspace"));
  attention_.partial = a_.partial.get<float>();
  const std::int64_t width = std::int64_t(state_layers_.size()) * c_.dim;
  return activations::reserve_bytes(a_.states, n_out * width * 4, "layer states");
}

// Validates the chunks, reserves device buffers, grows the KV cache (all
// fallible steps first, so an error leaves every sequence as it was) and
// builds meta_.
status cuda_backend::prepare(std::span<const sequence_chunk> chunks) {
  int n = 0;
  max_len_ = 0;
  std::vector<kv_growth> growths;
  for (const sequence_chunk& ch : chunks) {
    if (!kv_->is_open(ch.seq) || ch.tokens.empty())
      return status(error_code::invalid_argument,
                    "forward: sequence " + std::to_string(ch.seq) + " is closed or given no tokens");
    for (int tok : ch.tokens)
      if (tok < 0 || tok >= c_.vocab_size)
        return status(error_code::invalid_argument,
                      "forward: token " + std::to_string(tok) + " is outside the vocabulary");
    n += static_cast<int>(ch.tokens.size());
    growths.push_back({ch.seq, static_cast<int>(ch.tokens.size())});
    max_len_ = std::max(max_len_, kv_->length(ch.seq) + static_cast<int>(ch.tokens.size()));
  }
  const int n_out = static_cast<int>(chunks.size()), bs = kv_->layout().block_size;
  BINSERVE_TRY(reserve(n, n_out));
  BINSERVE_TRY(kv_->grow(growths));
  meta_.assign(std::size_t(3) * n + n_out + std::size_t(n_out) * max_blocks_, 0);
  int* tok = meta_.data();
  int *pos = tok + n, *chunk_of = pos + n, *last = chunk_of + n, *table = last + n_out;
  int i = 0;
  for (int c = 0; c < n_out; ++c) {
    const sequence_chunk& ch = chunks[c];
    const int len = kv_->length(ch.seq), start = len - static_cast<int>(ch.tokens.size());
    for (std::size_t j = 0; j < ch.tokens.size(); ++j, ++i)
      tok[i] = ch.tokens[j], pos[i] = start + static_cast<int>(j), chunk_of[i] = c;
    last[c] = i - 1;
    for (int b = 0; b * bs < len; ++b) table[std::size_t(c) * max_blocks_ + b] = kv_->block_of(ch.seq, b * bs);
  }
  n_ = n;
  n_out_ = n_out;
  return status::ok_status();
}

status cuda_backend::forward(std::span<const sequence_chunk> chunks) {
  if (!failed_.ok()) return failed_;
  BINSERVE_CUDA_TRY(cudaSetDevice(device_));
  logits_ready_ = hidden_ready_ = states_ready_ = false;
  BINSERVE_TRY(prepare(chunks));
  status s = run(n_, n_out_);
  if (s.ok()) return s;
  if (s.code() != error_code::out_of_memory) return fail(s);
  // Out of memory after the KV cache grew: the batch's sequences are half
  // written (lost), the device still works. Not the "nothing appended"
  // out_of_memory of the contract, so not reported as one.
  return status(error_code::backend_failure,
                "forward ran out of device memory mid-way (its sequences are lost): " + s.message());
}

status cuda_backend::fail(status s) const {
  if (s.code() != error_code::backend_failure) s = status(error_code::backend_failure, s.message());
  failed_ = s;
  return s;
}

// One layer: the CPU backend's forward, step for step, on the stream.
status cuda_backend::layer(int l, int n, const kv_view& kv) {
  const device_layer& lw = w_->layers[l];
  const int dim = c_.dim, kv_dim = c_.kv_dim(), hidden = c_.hidden_dim;
  float* x = a_.x.get<float>();
  // xb = rmsnorm(x) * rms_att
  BINSERVE_TRY(rmsnorm({a_.xb.get(), nullptr, x, nullptr, lw.rms_att, n, dim, c_.norm_eps}, t_, stream_));
  // q (n, dim) = xb @ wq^T; k, v (n, kv_dim) = xb @ wk^T, xb @ wv^T
  BINSERVE_TRY(gemm(cublas_, {a_.q.get<float>(), a_.xb.get(), lw.wq, n, dim, dim}, t_));
  BINSERVE_TRY(gemm(cublas_, {a_.k.get<float>(), a_.xb.get(), lw.wk, n, dim, kv_dim}, t_));
  BINSERVE_TRY(gemm(cublas_, {a_.v.get<float>(), a_.xb.get(), lw.wv, n, dim, kv_dim}, t_));
  // RoPE on q and k at each token's position; k, v appended to the cache
  const rope_params rp{
      a_.q.get<float>(), a_.k.get<float>(), a_.v.get<float>(), rope_cos_.get<float>(), rope_sin_.get<float>(), n, dim,
      c_.head_dim()};
  BINSERVE_TRY(rope_kv_append(rp, kv, t_, stream_));
  // att (n, dim) = grouped-query attention over each sequence's cache
  BINSERVE_TRY(attention(attention_, kv, t_, stream_));
  // x += att @ wo^T  (the residual add is the GEMM's beta = 1)
  BINSERVE_TRY(gemm(cublas_, {x, a_.att.get(), lw.wo, n, dim, dim, 1.0f}, t_));
  // xb = rmsnorm(x) * rms_ffn
  BINSERVE_TRY(rmsnorm({a_.xb.get(), nullptr, x, nullptr, lw.rms_ffn, n, dim, c_.norm_eps}, t_, stream_));
  // hb (n, hidden) = silu(xb @ w1^T) * (xb @ w3^T)
  BINSERVE_TRY(gemm(cublas_, {a_.hb.get<float>(), a_.xb.get(), lw.w1, n, dim, hidden}, t_));
  BINSERVE_TRY(gemm(cublas_, {a_.hb2.get<float>(), a_.xb.get(), lw.w3, n, dim, hidden}, t_));
  BINSERVE_TRY(swiglu(a_.hb_t.get(), a_.hb.get<float>(), a_.hb2.get<float>(), std::int64_t(n) * hidden, t_, stream_));
  // x += hb @ w2^T
  return gemm(cublas_, {x, a_.hb_t.get(), lw.w2, n, hidden, dim, 1.0f}, t_);
}

status cuda_backend::run(int n, int n_out) {
  int* meta = a_.meta.get<int>();
  BINSERVE_TRY(upload_meta(meta));
  const int *tok = meta, *pos = meta + n, *chunk_of = pos + n, *last = chunk_of + n, *table = last + n_out;
  const kv_view kv{k_cache_.get(),           v_cache_.get(),         table, chunk_of,   pos, max_blocks_,
                   kv_->layout().block_size, kv_->layout().n_blocks, 0,     c_.kv_dim()};

  // x (n, dim) = token_embedding[tok]
  BINSERVE_TRY(embed(a_.x.get<float>(), w_->token_embedding, tok, n, c_.dim, t_, stream_));
  const int width = static_cast<int>(state_layers_.size()) * c_.dim;
  for (int l = 0; l < c_.n_layers; ++l) {
    kv_view lkv = kv;
    lkv.layer = l;
    BINSERVE_TRY(layer(l, n, lkv));
    // states (chunk, k) = x[last] after layer l + 1 when that is state layer k
    for (std::size_t k = 0; k < state_layers_.size(); ++k)
      if (state_layers_[k] == l + 1)
        BINSERVE_TRY(
            gather_rows(a_.states.get<float>() + k * c_.dim, width, a_.x.get<float>(), last, n_out, c_.dim, stream_));
  }
  // hidden (n_out, dim) = rmsnorm(x[last]) * rms_final; logits (n_out, vocab) = hidden @ wcls^T
  BINSERVE_TRY(
      rmsnorm({a_.xb.get(), a_.hidden.get<float>(), a_.x.get<float>(), last, w_->rms_final, n_out, c_.dim, c_.norm_eps},
              t_, stream_));
  return gemm(cublas_, {a_.logits.get<float>(), a_.xb.get(), w_->wcls, n_out, c_.dim, c_.vocab_size}, t_);
}

// meta_ -> pinned staging -> `device`, asynchronously. Waits only for the
// previous upload to have read the staging buffer (the step before last).
// reserve_meta_staging() made the staging big enough.
status cuda_backend::upload_meta(int* device) {
  BINSERVE_CUDA_TRY(cudaEventSynchronize(meta_copied_));
  std::copy(meta_.begin(), meta_.end(), meta_pinned_);
  BINSERVE_CUDA_TRY(cudaMemcpyAsync(device, meta_pinned_, meta_.size() * 4, cudaMemcpyHostToDevice, stream_));
  return check(cudaEventRecord(meta_copied_, stream_), "cudaEventRecord");
}

// Pinned host memory for `ints` metadata words, allocated before the KV cache
// grows so that a failure here leaves every sequence as it was.
status cuda_backend::reserve_meta_staging(std::size_t ints) {
  if (ints <= meta_pinned_ints_) return status::ok_status();
  const std::size_t want = std::max(ints, meta_pinned_ints_ * 2);
  BINSERVE_CUDA_TRY(cudaEventSynchronize(meta_copied_));  // the last upload has read the old buffer
  if (meta_pinned_ != nullptr) BINSERVE_CUDA_TRY(cudaFreeHost(meta_pinned_));
  meta_pinned_ = nullptr;
  meta_pinned_ints_ = 0;
  if (status s = check(cudaMallocHost(&meta_pinned_, want * 4), "cudaMallocHost (metadata)"); !s.ok()) {
    meta_pinned_ = nullptr;
    return s;
  }
  meta_pinned_ints_ = want;
  return status::ok_status();
}

status cuda_backend::synchronize() {
  if (!failed_.ok()) return failed_;
  BINSERVE_CUDA_TRY(cudaSetDevice(device_));
  if (status s = check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize"); !s.ok()) return fail(s);
  return failed_;
}

void cuda_backend::fetch(std::vector<float>& host, bool& ready, const device_buffer& device, std::size_t count) const {
  if (ready) return;
  host.resize(count);
  ready = true;
  status s = failed_;
  if (s.ok()) s = check(cudaSetDevice(device_), "cudaSetDevice");
  if (s.ok())
    s = check(cudaMemcpyAsync(host.data(), device.get(), count * 4, cudaMemcpyDeviceToHost, stream_),
              "cudaMemcpyAsync (to host)");
  if (s.ok()) s = check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
  if (!s.ok()) {
    std::fill(host.begin(), host.end(), std::numeric_limits<float>::quiet_NaN());
    (void)fail(s);  // health() reports it, and every later forward and sample
  }
}

std::span<const float> cuda_backend::logits(int i) const {
  fetch(logits_host_, logits_ready_, a_.logits, std::size_t(n_out_) * c_.vocab_size);
  return {logits_host_.data() + std::size_t(i) * c_.vocab_size, std::size_t(c_.vocab_size)};
}

std::span<const float> cuda_backend::hidden(int i) const {
  fetch(hidden_host_, hidden_ready_, a_.hidden, std::size_t(n_out_) * c_.dim);
  return {hidden_host_.data() + std::size_t(i) * c_.dim, std::size_t(c_.dim)};
}

std::span<const float> cuda_backend::layer_states(int i) const {
  const std::size_t width = state_layers_.size() * c_.dim;
  if (width == 0) return {};
  fetch(states_host_, states_ready_, a_.states, n_out_ * width);
  return {states_host_.data() + i * width, width};
}

// Every row: argmax on the device; rows with a temperature and no top-p:
// temperature_sample on the device with the host's uniform draw; only ids
// come back. Rows with top-p < 1: the host sampler on logits(i). Any
// failure is sticky and returned: never a made-up token.
status_or<std::vector<int>> cuda_backend::sample(std::span<const sampling_params> params,
                                                 std::span<const std::uint64_t> steps) const {
  const int rows = std::min<int>(static_cast<int>(params.size()), n_out_);
  std::vector<int> out(params.size(), 0);
  status s = failed_;
  if (s.ok()) s = check(cudaSetDevice(device_), "cudaSetDevice");
  if (s.ok()) s = argmax_rows(a_.ids.get<int>(), a_.logits.get<float>(), rows, c_.vocab_size, stream_);
  if (s.ok()) s = sample_temperature_rows(params, steps, rows);
  if (s.ok() && rows > 0)
    s = check(cudaMemcpyAsync(out.data(), a_.ids.get(), std::size_t(rows) * 4, cudaMemcpyDeviceToHost, stream_),
              "cudaMemcpyAsync (sampled ids)");
  if (s.ok()) s = check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
  if (!s.ok()) return fail(s);
  for (int i = 0; i < rows; ++i)
    if (params[i].temperature > 0.0f && params[i].top_p < 1.0f) out[i] = sample_token(logits(i), params[i], steps[i]);
  if (!failed_.ok()) return failed_;  // logits(i)'s copy failed: those were NaNs
  return out;
}

// Enqueues temperature_sample over the rows with a temperature and top_p = 1.
status cuda_backend::sample_temperature_rows(std::span<const sampling_params> params,
                                             std::span<const std::uint64_t> steps, int rows) const {
  std::vector<std::int32_t> args;  // [rows jobs][temperature jobs][uniform jobs], 32-bit words
  std::vector<float> temperature, uniform;
  for (int i = 0; i < rows; ++i)
    if (params[i].temperature > 0.0f && params[i].top_p >= 1.0f) {
      args.push_back(i);
      temperature.push_back(params[i].temperature);
      uniform.push_back(sample_uniform(params[i].seed, steps[i]));
    }
  const int jobs = static_cast<int>(args.size());
  if (jobs == 0) return status::ok_status();
  args.resize(std::size_t(3) * jobs);
  std::memcpy(args.data() + jobs, temperature.data(), std::size_t(jobs) * 4);
  std::memcpy(args.data() + 2 * jobs, uniform.data(), std::size_t(jobs) * 4);
  BINSERVE_TRY(activations::reserve_bytes(a_.sample_args, std::int64_t(args.size()) * 4, "sampling arguments"));
  BINSERVE_CUDA_TRY(cudaMemcpyAsync(a_.sample_args.get(), args.data(), args.size() * 4, cudaMemcpyHostToDevice,
                                    stream_));  // pageable: staged before the call returns
  const std::int32_t* dev = a_.sample_args.get<std::int32_t>();
  const temperature_sample_params tp{a_.ids.get<int>(),
                                     a_.probs.get<float>(),
                                     a_.logits.get<float>(),
                                     dev,
                                     reinterpret_cast<const float*>(dev + jobs),
                                     reinterpret_cast<const float*>(dev + 2 * jobs),
                                     jobs,
                                     c_.vocab_size};
  return temperature_sample(tp, stream_);
}

// A device-to-device copy of up to 1 GiB, 20 timed repeats after 3 warm-ups,
// median; bandwidth = (bytes read + bytes written) / time.
status_or<double> cuda_backend::measure_memory_bandwidth() {
  BINSERVE_CUDA_TRY(cudaSetDevice(device_));
  size_t free_b = 0, total_b = 0;
  BINSERVE_CUDA_TRY(cudaMemGetInfo(&free_b, &total_b));
  const std::int64_t bytes =
      std::min<std::int64_t>(std::int64_t(1) << 30, std::int64_t(free_b) / 4) & ~std::int64_t(255);
  if (bytes < (std::int64_t(64) << 20))
    return status(error_code::out_of_memory, "bandwidth probe: under 256 MiB of device memory free");
  device_buffer src, dst;
  BINSERVE_TRY(src.allocate(bytes, "bandwidth probe source"));
  BINSERVE_TRY(dst.allocate(bytes, "bandwidth probe destination"));
  BINSERVE_TRY(fill_dummy(src.get(), bytes / 4, {1, 0, 1.0f}, data_type::fp32, stream_));  // never time zeros
  cudaEvent_t start = nullptr, stop = nullptr;
  status s = check(cudaEventCreate(&start), "cudaEventCreate");
  if (s.ok()) s = check(cudaEventCreate(&stop), "cudaEventCreate");
  std::vector<float> ms;
  for (int rep = 0; rep < 23 && s.ok(); ++rep) {
    s = check(cudaEventRecord(start, stream_), "cudaEventRecord");
    if (s.ok())
      s = check(cudaMemcpyAsync(dst.get(), src.get(), bytes, cudaMemcpyDeviceToDevice, stream_),
                "cudaMemcpyAsync (device to device)");
    if (s.ok()) s = check(cudaEventRecord(stop, stream_), "cudaEventRecord");
    if (s.ok()) s = check(cudaEventSynchronize(stop), "cudaEventSynchronize");
    float t = 0.0f;
    if (s.ok()) s = check(cudaEventElapsedTime(&t, start, stop), "cudaEventElapsedTime");
    if (s.ok() && rep >= 3) ms.push_back(t);
  }
  if (start != nullptr) (void)cudaEventDestroy(start);
  if (stop != nullptr) (void)cudaEventDestroy(stop);
  if (!s.ok()) return s;
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  return 2.0 * double(bytes) / (double(ms[ms.size() / 2]) * 1e-3);
}

}  // namespace

status_or<std::unique_ptr<backend>> make_cuda_backend(std::shared_ptr<const model> m, const backend_options& options) {
  if (m->config.qkv_bias || m->config.rope != rope_style::interleaved)
    return status(error_code::invalid_argument,
                  m->source +
                      ": the cuda backend does not yet run q/k/v biases or half-split RoPE (Qwen2's); "
                      "serve it with backend cpu");
  int count = 0;
  if (const cudaError_t e = cudaGetDeviceCount(&count); e != cudaSuccess)
    return status(error_code::backend_failure,
                  std::string("no CUDA device: ") + cudaGetErrorName(e) + ": " + cudaGetErrorString(e));
  if (count == 0) return status(error_code::backend_failure, "no CUDA device: cudaGetDeviceCount found none");
  if (options.device < 0 || options.device >= count)
    return status(error_code::invalid_argument, "CUDA device " + std::to_string(options.device) + " does not exist (" +
                                                    std::to_string(count) + " found)");
  auto b = std::make_unique<cuda_backend>(std::move(m), options.dtype, options.device);
  if (status s = b->init(options); !s.ok()) return s;
  return std::unique_ptr<backend>(std::move(b));
}

}  // namespace binserve::cuda

// The plugin's one entry point (gpu/backend_plugin.hpp). Nothing throws out of it.
extern "C" __attribute__((visibility("default"))) void binserve_make_cuda_backend(
    const std::shared_ptr<const binserve::model>& m, const binserve::backend_options& options,
    binserve::status_or<std::unique_ptr<binserve::backend>>& out) {
  try {
    out = binserve::cuda::make_cuda_backend(m, options);
  } catch (const std::exception& e) {
    out = binserve::status(binserve::error_code::internal, std::string("CUDA backend: ") + e.what());
  }
}
