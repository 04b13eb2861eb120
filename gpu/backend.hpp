// The model-execution interface the executor actors drive.
//
// A backend owns one replica of a model's weights and a paged KV cache, and
// runs the Llama forward pass for a batch of sequences at once. Sequences
// are opened (reserving KV blocks), fed tokens by `forward`, and closed.
// Prefill and decode are the same call: a chunk of many tokens is a prompt,
// a chunk of one token is a decode step, and one batch may mix both.
//
// Not thread-safe: one thread (the executor actor's) drives a backend.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "binserve/config.hpp"
#include "binserve/status.hpp"
#include "gpu/kv_cache.hpp"
#include "gpu/model.hpp"
#include "gpu/sampler.hpp"

namespace binserve {

// This host's physical memory in bytes: what CPU backends and the
// deployment check plan weights and KV caches against.
std::int64_t host_memory_bytes();

struct backend_options {
  backend_kind kind = backend_kind::cpu;
  int threads = 0;                    // cpu: worker threads, 0 = OpenMP's default (every core, or OMP_NUM_THREADS)
  int device = 0;                     // cuda: device ordinal
  data_type dtype = data_type::fp32;  // weights and activations
  std::int64_t kv_cache_bytes = 0;    // 0: cpu min(2 GiB, 256 full-context sequences); cuda device_kv_cache_bytes
  // cuda, kv_cache_bytes 0: this backend's weights, KV cache and 1 GiB of
  // working memory stay within this share of the device's memory.
  double device_memory_share = 0.9;
  int kv_block_size = 16;  // positions per KV block
  // Layers whose residual stream `layer_states` reports, each in [1, n_layers]
  // (k: the stream after the first k layers): the length probe's input
  // (predict/probe_predictor.hpp). Empty: none, and no cost.
  std::vector<int> state_layers = {};
};

// Tokens to append to an open sequence; `tokens` must outlive the call.
struct sequence_chunk {
  int seq;
  std::span<const int> tokens;  // at least one
};

class backend {
 public:
  virtual ~backend() = default;
  backend(const backend&) = delete;
  backend& operator=(const backend&) = delete;

  virtual const model& served_model() const = 0;
  virtual const kv_cache& kv() const = 0;

  // Opens a sequence with KV blocks reserved for `reserve_tokens` positions
  // (prompt + everything it may generate), so a static batch never runs out
  // of cache mid-way. Errors: out_of_memory, input_too_large (> n_ctx).
  virtual status_or<int> open_sequence(int reserve_tokens) = 0;
  virtual void close_sequence(int seq) = 0;

  // Appends each chunk's tokens to its sequence (positions continue from the
  // sequence's length), runs the model, and keeps the logits after each
  // chunk's last token for `logits`/`sample`. Each sequence appears at most
  // once. Errors: invalid_argument (closed sequence, empty chunk, token out
  // of vocabulary), out_of_memory / input_too_large from the KV cache
  // (nothing appended then), backend_failure.
  virtual status forward(std::span<const sequence_chunk> chunks) = 0;

  // Logits [vocab_size] after chunk `i` of the last forward; valid until the
  // next forward. A device backend copies them to the host on first use; a
  // copy that fails leaves NaNs and sets `health`: check it before using them.
  virtual std::span<const float> logits(int i) const = 0;

  // The final-normed hidden state [dim] after chunk `i` of the last forward
  // (the classifier's input); valid until the next forward, with logits'
  // caveat. The embedding length predictor reads it.
  virtual std::span<const float> hidden(int i) const = 0;

  // The residual stream after each layer of backend_options::state_layers, in
  // that order, at chunk `i`'s last token of the last forward:
  // [state_layers.size() * dim], empty when none were asked for. Valid until
  // the next forward, with logits' caveat.
  virtual std::span<const float> layer_states(int i) const = 0;

  // Samples one token per chunk of the last forward: params[i] and steps[i]
  // belong to chunk i. The default samples on the host from `logits`.
  // Errors: backend_failure (a device call failed, or the backend failed
  // before: no token is made up then).
  [[nodiscard]] virtual status_or<std::vector<int>> sample(std::span<const sampling_params> params,
                                                           std::span<const std::uint64_t> steps) const;

  // Ok while the backend works; once a failure has made it unusable for
  // good (a CUDA error is sticky), that backend_failure, which every later
  // forward and sample return too. Also the way a failed lazy copy of
  // logits/hidden shows. Host backends never fail (the default).
  [[nodiscard]] virtual status health() const { return status::ok_status(); }

  // Device-memory bandwidth in bytes/s, measured by this call: a large
  // device-to-device copy, (bytes read + bytes written) / time, median of
  // repeats. Benchmarks divide the bytes a decode step must read by it (the
  // memory roofline). Errors: invalid_argument from backends without device
  // memory of their own (the default), out_of_memory, backend_failure.
  virtual status_or<double> measure_memory_bandwidth();

  // Waits until the work of the last forward has finished: a device backend
  // returns from forward before its kernels have run (benchmarks time with
  // this). Errors: backend_failure. The default has nothing to wait for.
  virtual status synchronize() { return status::ok_status(); }

 protected:
  backend() = default;
};

// Creates the backend `options.kind` names for `m` (weights are uploaded or
// generated here). "cuda" loads the plugin libbinserve_cuda.so (from beside
// the running executable, or the path in $BINSERVE_CUDA_LIBRARY) on first
// use; see gpu/backend_plugin.hpp. Errors: invalid_argument (unknown kind, or
// a kind this build lacks: the CUDA plugin is absent or does not load; a
// state layer outside [1, n_layers]),
// out_of_memory (weights or KV cache do not fit, or a host allocation
// failed: std::bad_alloc never escapes), backend_failure (for cuda:
// "no CUDA device: ..." when no GPU is usable).
status_or<std::unique_ptr<backend>> make_backend(std::shared_ptr<const model> m, const backend_options& options);

// The default KV budget of backend_options::kv_cache_bytes == 0.
std::int64_t default_kv_cache_bytes(const model_config& config, int element_bytes);

// A device backend's KV budget when kv_cache_bytes is 0: what remains of
// `share` of the device's `total_bytes` after its own `weight_bytes` and
// kDeviceHeadroomBytes of working memory (activations, library workspaces),
// at most 256 full-context sequences and at most `free_bytes` less the
// headroom (other processes and backends may hold the rest). out_of_memory,
// naming the share, when that leaves no room.
inline constexpr std::int64_t kDeviceHeadroomBytes = std::int64_t(1) << 30;
status_or<std::int64_t> device_kv_cache_bytes(const model_config& config, int element_bytes, std::int64_t weight_bytes,
                                              std::int64_t free_bytes, std::int64_t total_bytes, double share);

}  // namespace binserve
