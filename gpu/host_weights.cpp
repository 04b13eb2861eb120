#include "gpu/host_weights.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <utility>

#include "gpu/dummy_weight.hpp"
#include "gpu/quantize.hpp"
#include "gpu/weight_layout.hpp"

namespace binserve {

std::size_t weight_matrix::row_bytes() const {
  const gguf::type_layout l = *gguf::layout_of(static_cast<std::uint32_t>(type));
  return std::size_t(cols / l.block_elements * l.block_bytes);
}

const float* weight_matrix::f32() const {
  return type == gguf::tensor_type::f32 ? reinterpret_cast<const float*>(data) : nullptr;
}

void weight_matrix::dequantize_row(std::int64_t r, float* out) const {
  gguf::dequantize(type, data + std::size_t(r) * row_bytes(), out, std::uint64_t(cols));
}

namespace {

// Lays out `w`'s tensors in checkpoint order (gpu/weight_layout.hpp).
// Matrices go to `storage` only when `owned`.
void lay_out(const model_config& c, bool owned, host_weights& w) {
  const std::int64_t d = c.dim, kv = c.kv_dim(), v = c.vocab_size;
  const std::int64_t biases = c.qkv_bias ? std::int64_t(c.n_layers) * (d + 2 * kv) : 0;
  const std::int64_t norms = (2 * std::int64_t(c.n_layers) + 1) * d + biases;
  w.storage.assign(static_cast<std::size_t>(owned ? c.n_params() : norms), 0.0f);
  float* next = w.storage.data();
  auto norm = [&next](std::int64_t n) { return std::exchange(next, next + n); };
  auto matrix = [&next, owned](std::int64_t rows, std::int64_t cols) {
    weight_matrix m{gguf::tensor_type::f32, nullptr, rows, cols};
    if (owned) m.data = reinterpret_cast<const unsigned char*>(std::exchange(next, next + rows * cols));
    return m;
  };
  w.token_embedding = matrix(v, d);
  w.layers.resize(static_cast<std::size_t>(c.n_layers));
  for (layer_tensor t : kLayerTensors) {
    const tensor_shape s = shape_of(t, c);
    for (auto& l : w.layers)
      if (is_norm(t))
        norm_member(l, t) = norm(s.rows);
      else
        matrix_member(l, t) = matrix(s.rows, s.cols);
  }
  w.rms_final = norm(d);
  if (c.qkv_bias) {
    for (auto& l : w.layers) l.bq = norm(d);
    for (auto& l : w.layers) l.bk = norm(kv);
    for (auto& l : w.layers) l.bv = norm(kv);
  }
  w.wcls = c.shared_classifier ? w.token_embedding : matrix(v, d);
}

}  // namespace

host_weights::host_weights(const model_config& c) { lay_out(c, true, *this); }

host_weights::host_weights(const model_config& c, std::shared_ptr<const void> mapping) : file(std::move(mapping)) {
  lay_out(c, false, *this);
}

float* host_weights::values(const weight_matrix& m) {
  const auto* p = reinterpret_cast<const float*>(m.data);
  assert(m.type == gguf::tensor_type::f32 && p >= storage.data() && p < storage.data() + storage.size());
  return storage.data() + (p - storage.data());
}

namespace {

void fill(std::uint64_t seed, std::uint64_t tensor, float* p, std::int64_t n, float scale) {
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) p[i] = dummy_weight_value(seed, tensor, static_cast<std::uint64_t>(i), scale);
}

}  // namespace

float dummy_weight(std::uint64_t seed, std::uint64_t tensor, std::uint64_t i, float scale) {
  return dummy_weight_value(seed, tensor, i, scale);
}

namespace {

// A dummy matrix: where it goes, its tensor number and its bound.
struct dummy_matrix {
  weight_matrix* m;
  std::uint64_t tensor;
  float scale;
};

// `w`'s matrices in dummy tensor order (gpu/weight_layout.hpp), each with
// its bound. Its norms are set to ones, its biases (the tensors after those,
// per layer bq, bk, bv) to values in [-0.5, 0.5].
std::vector<dummy_matrix> dummy_layout(const model_config& c, std::uint64_t seed, host_weights& w) {
  for (auto& l : w.layers) {
    std::fill_n(l.rms_att, c.dim, 1.0f);
    std::fill_n(l.rms_ffn, c.dim, 1.0f);
  }
  std::fill_n(w.rms_final, c.dim, 1.0f);
  std::vector<dummy_matrix> out = {{&w.token_embedding, 0, 1.0f}};
  for (auto& l : w.layers)
    for (layer_tensor t : kLayerTensors)
      if (!is_norm(t)) out.push_back({&matrix_member(l, t), out.size(), dummy_scale(shape_of(t, c).cols)});
  if (!c.shared_classifier) out.push_back({&w.wcls, out.size(), dummy_scale(c.dim)});
  std::uint64_t tensor = out.size();
  if (c.qkv_bias)
    for (auto& l : w.layers)
      for (auto [p, n] : {std::pair{l.bq, c.dim}, std::pair{l.bk, c.kv_dim()}, std::pair{l.bv, c.kv_dim()}})
        fill(seed, tensor++, p, n, 0.5f);
  return out;
}

}  // namespace

void fill_dummy_weights(const model_config& c, std::uint64_t seed, host_weights& w) {
  for (const dummy_matrix& d : dummy_layout(c, seed, w))
    fill(seed, d.tensor, w.values(*d.m), d.m->rows * d.m->cols, d.scale);
}

std::shared_ptr<const host_weights> typed_dummy_weights(const model_config& c, std::uint64_t seed,
                                                        gguf::tensor_type type) {
  auto blocks = std::make_shared<std::vector<unsigned char>>();
  auto w = std::make_shared<host_weights>(c, blocks);
  const std::vector<dummy_matrix> matrices = dummy_layout(c, seed, *w);
  std::size_t bytes = 0;
  for (const dummy_matrix& d : matrices) {
    const std::vector<std::uint64_t> dims = {std::uint64_t(d.m->cols), std::uint64_t(d.m->rows)};
    d.m->type = gguf::type_for(dims, type).value_or(gguf::tensor_type::f32);
    bytes += d.m->bytes();
  }
  blocks->resize(bytes);
  unsigned char* next = blocks->data();
  for (const dummy_matrix& d : matrices) {
    unsigned char* out = std::exchange(next, next + d.m->bytes());
    d.m->data = out;
    const std::int64_t cols = d.m->cols;
    const std::size_t row_bytes = d.m->row_bytes();
#pragma omp parallel
    {
      std::vector<float> row(static_cast<std::size_t>(cols));
#pragma omp for schedule(static)
      for (std::int64_t r = 0; r < d.m->rows; ++r) {
        for (std::int64_t i = 0; i < cols; ++i)
          row[i] = dummy_weight_value(seed, d.tensor, static_cast<std::uint64_t>(r * cols + i), d.scale);
        gguf::quantize(d.m->type, row.data(), out + r * row_bytes, static_cast<std::uint64_t>(cols));
      }
    }
  }
  if (c.shared_classifier) w->wcls = w->token_embedding;
  return w;
}

}  // namespace binserve
