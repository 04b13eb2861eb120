// A backend that fails on purpose, for the tests of backend failures: it
// wraps a working backend (the CPU one) and injects, by call count, the
// failures a device backend has (gpu/cuda/cuda_backend.hpp): a forward or a
// sample that returns backend_failure, once or for good (sticky: health()
// reports it and every later call fails); a logits copy that fails, leaving
// NaNs; and, the request's fault rather than the backend's, a sequence the
// KV cache cannot grow past `max_positions` (out_of_memory, nothing
// appended).
//
// Counts run over the backend's life, across the executors that drive it in
// turn (one at a time, as any backend).
#pragma once

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "gpu/backend.hpp"

namespace binserve::testing {

struct backend_faults {
  int fail_forward_at = 0;   // > 0: the forward of this number (1 = the first) fails
  int fail_sample_at = 0;    // > 0: the sample of this number fails
  int nan_logits_at = 0;     // > 0: logits read after this forward number are NaNs (a failed copy)
  bool sticky = false;       // a failure stays: every later forward and sample fail too
  int max_positions = 0;     // > 0: no sequence grows past this many positions
  bool host_sample = false;  // sample with backend's default (from logits()) instead of the inner one's
};

class failing_backend final : public backend {
 public:
  failing_backend(std::unique_ptr<backend> inner, backend_faults faults) : inner_(std::move(inner)), faults_(faults) {}

  const model& served_model() const override { return inner_->served_model(); }
  const kv_cache& kv() const override { return inner_->kv(); }
  status_or<int> open_sequence(int reserve_tokens) override { return inner_->open_sequence(reserve_tokens); }
  void close_sequence(int seq) override { inner_->close_sequence(seq); }

  status forward(std::span<const sequence_chunk> chunks) override {
    ++forwards_;
    if (!failed_.ok()) return failed_;
    if (forwards_ == faults_.fail_forward_at) return fail("forward " + std::to_string(forwards_));
    for (const sequence_chunk& c : chunks)
      if (faults_.max_positions > 0 && inner_->kv().length(c.seq) + int(c.tokens.size()) > faults_.max_positions)
        return status(error_code::out_of_memory, "injected: sequence " + std::to_string(c.seq) + " cannot grow past " +
                                                     std::to_string(faults_.max_positions) + " positions");
    return inner_->forward(chunks);
  }

  std::span<const float> logits(int i) const override {
    if (faults_.nan_logits_at > 0 && forwards_ >= faults_.nan_logits_at) {
      if (failed_.ok()) failed_ = status(error_code::backend_failure, "injected backend fault: logits copy");
      nan_.assign(served_model().config.vocab_size, std::numeric_limits<float>::quiet_NaN());
      return nan_;
    }
    return inner_->logits(i);
  }
  std::span<const float> hidden(int i) const override { return inner_->hidden(i); }
  std::span<const float> layer_states(int i) const override { return inner_->layer_states(i); }

  status_or<std::vector<int>> sample(std::span<const sampling_params> params,
                                     std::span<const std::uint64_t> steps) const override {
    ++samples_;
    if (!failed_.ok()) return failed_;
    if (samples_ == faults_.fail_sample_at) return fail("sample " + std::to_string(samples_));
    return faults_.host_sample ? backend::sample(params, steps) : inner_->sample(params, steps);
  }

  status health() const override { return failed_; }

  int forwards() const { return forwards_; }
  int samples() const { return samples_; }

 private:
  status fail(const std::string& call) const {
    status s(error_code::backend_failure, "injected backend fault: " + call);
    if (faults_.sticky) failed_ = s;
    return s;
  }

  std::unique_ptr<backend> inner_;
  backend_faults faults_;
  int forwards_ = 0;
  mutable int samples_ = 0;
  mutable status failed_;
  mutable std::vector<float> nan_;
};

}  // namespace binserve::testing
