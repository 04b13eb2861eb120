#include "gpu/null_backend.hpp"

#include <algorithm>

namespace binserve {

namespace {

class null_backend final : public backend {
 public:
  null_backend(std::shared_ptr<const model> m, const kv_layout& layout, std::size_t state_width)
      : model_(std::move(m)),
        kv_(layout, model_->config.n_ctx),
        zeros_(std::max<std::size_t>(
                   {std::size_t(model_->config.vocab_size), state_width, std::size_t(model_->config.dim)}),
               0.0f),
        state_width_(state_width) {}

  const model& served_model() const override { return *model_; }
  const kv_cache& kv() const override { return kv_; }
  status_or<int> open_sequence(int reserve_tokens) override { return kv_.open(reserve_tokens); }
  void close_sequence(int seq) override { kv_.close(seq); }
  status forward(std::span<const sequence_chunk> chunks) override {
    growths_.clear();
    for (const sequence_chunk& c : chunks) growths_.push_back({c.seq, static_cast<int>(c.tokens.size())});
    return kv_.grow(growths_);
  }
  std::span<const float> logits(int) const override { return zeros_; }
  std::span<const float> hidden(int) const override { return std::span<const float>(zeros_).first(model_->config.dim); }
  std::span<const float> layer_states(int) const override { return std::span<const float>(zeros_).first(state_width_); }
  status_or<std::vector<int>> sample(std::span<const sampling_params> params,
                                     std::span<const std::uint64_t>) const override {
    return std::vector<int>(params.size(), kNullToken);
  }

 private:
  std::shared_ptr<const model> model_;
  kv_cache kv_;
  std::vector<float> zeros_;
  std::size_t state_width_;  // state_layers x dim
  std::vector<kv_growth> growths_;
};

}  // namespace

status_or<std::unique_ptr<backend>> make_null_backend(std::shared_ptr<const model> m, const backend_options& options) {
  if (m->config.vocab_size <= kNullToken)
    return status(error_code::invalid_argument, "the null backend needs a vocabulary above 259");
  const std::int64_t bytes = options.kv_cache_bytes > 0 ? options.kv_cache_bytes : default_kv_cache_bytes(m->config, 4);
  auto layout = kv_layout::plan(m->config, bytes, 4, options.kv_block_size);
  if (!layout.ok()) return layout.error();
  const std::size_t state_width = options.state_layers.size() * m->config.dim;
  return std::unique_ptr<backend>(new null_backend(std::move(m), *layout, state_width));
}

}  // namespace binserve
