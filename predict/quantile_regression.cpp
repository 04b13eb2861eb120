#include "predict/quantile_regression.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <istream>
#include <limits>
#include <ostream>

namespace binserve {

namespace {

constexpr char magic[4] = {'B', 'S', 'Q', 'R'};
constexpr std::uint32_t format_version = 1;
constexpr int max_features = 1 << 24;
// exp(40) is far past any length; the cap keeps expm1 finite for any weights.
constexpr double max_log_length = 40.0;
// Floats are read in chunks so a header claiming 2^24 features costs memory
// only as the file proves to hold them.
constexpr std::size_t read_chunk = 1 << 16;

// Explicit little-endian encoding: files move between machines.
void put_u32(std::ostream& out, std::uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = char((v >> (8 * i)) & 0xff);
  out.write(b, 4);
}

void put_u64(std::ostream& out, std::uint64_t v) {
  put_u32(out, std::uint32_t(v));
  put_u32(out, std::uint32_t(v >> 32));
}

void put_f64(std::ostream& out, double v) { put_u64(out, std::bit_cast<std::uint64_t>(v)); }

bool get_u32(std::istream& in, std::uint32_t& v) {
  unsigned char b[4];
  if (!in.read(reinterpret_cast<char*>(b), 4)) return false;
  v = std::uint32_t(b[0]) | std::uint32_t(b[1]) << 8 | std::uint32_t(b[2]) << 16 | std::uint32_t(b[3]) << 24;
  return true;
}

bool get_u64(std::istream& in, std::uint64_t& v) {
  std::uint32_t lo = 0, hi = 0;
  if (!get_u32(in, lo) || !get_u32(in, hi)) return false;
  v = std::uint64_t(hi) << 32 | lo;
  return true;
}

bool get_f64(std::istream& in, double& v) {
  std::uint64_t bits = 0;
  if (!get_u64(in, bits)) return false;
  v = std::bit_cast<double>(bits);
  return true;
}

// n finite floats with value >= min_value.
bool get_floats(std::istream& in, std::size_t n, float min_value, std::vector<float>& out) {
  out.clear();
  while (out.size() < n) {
    const std::size_t begin = out.size();
    out.resize(begin + std::min(read_chunk, n - begin));
    for (std::size_t i = begin; i < out.size(); ++i) {
      std::uint32_t bits = 0;
      if (!get_u32(in, bits)) return false;
      out[i] = std::bit_cast<float>(bits);
      if (!std::isfinite(out[i]) || out[i] < min_value) return false;
    }
  }
  return true;
}

status invalid(const std::string& what) { return status(error_code::model_invalid, "quantile model: " + what); }

status read_options(std::istream& in, quantile_regressor_options& o, std::int64_t& updates) {
  char m[4];
  if (!in.read(m, 4) || std::memcmp(m, magic, 4) != 0) return invalid("not a BSQR file");
  std::uint32_t version = 0, n = 0;
  std::uint64_t u = 0;
  if (!get_u32(in, version)) return invalid("truncated header");
  if (version != format_version) return invalid("unsupported version " + std::to_string(version));
  if (!get_u32(in, n) || !get_f64(in, o.quantile) || !get_f64(in, o.learning_rate) || !get_f64(in, o.l2) ||
      !get_u64(in, u))
    return invalid("truncated header");
  if (n < 1 || n > std::uint32_t(max_features))
    return invalid("feature count " + std::to_string(n) + " outside [1, 2^24]");
  if (!(o.quantile > 0 && o.quantile < 1)) return invalid("quantile outside (0, 1)");
  if (!(o.learning_rate > 0 && std::isfinite(o.learning_rate)) || !(o.l2 >= 0 && std::isfinite(o.l2)))
    return invalid("learning rate or l2 out of range");
  if (u > std::uint64_t(std::numeric_limits<std::int64_t>::max())) return invalid("update count out of range");
  o.n_features = int(n);
  updates = std::int64_t(u);
  return status::ok_status();
}

}  // namespace

quantile_regressor::quantile_regressor(const quantile_regressor_options& options)
    : options_(options), weights_(options.n_features, 0.0f), grad_sq_(options.n_features, 0.0f) {}

quantile_regressor::quantile_regressor(const quantile_regressor_options& options, std::vector<float> weights,
                                       std::vector<float> grad_sq, std::int64_t updates)
    : options_(options), weights_(std::move(weights)), grad_sq_(std::move(grad_sq)), updates_(updates) {}

double quantile_regressor::raw(std::span<const sparse_feature> x) const {
  double p = 0;
  for (const sparse_feature& f : x) p += double(weights_[f.index]) * f.value;
  return p;
}

double quantile_regressor::predict(std::span<const sparse_feature> x) const {
  return std::expm1(std::clamp(raw(x), 0.0, max_log_length));
}

void quantile_regressor::update(std::span<const sparse_feature> x, double length) {
  const double y = std::log1p(std::max(0.0, length));
  const double q = options_.quantile;
  // Pinball-loss subgradient with respect to the prediction.
  const double g = y > raw(x) ? -q : 1 - q;
  for (const sparse_feature& f : x) {
    float& w = weights_[f.index];
    const double grad = g * f.value + options_.l2 * w;
    grad_sq_[f.index] += float(grad * grad);
    w -= float(options_.learning_rate * grad / (std::sqrt(double(grad_sq_[f.index])) + 1e-8));
  }
  ++updates_;
}

status quantile_regressor::save(std::ostream& out) const {
  out.write(magic, 4);
  put_u32(out, format_version);
  put_u32(out, std::uint32_t(options_.n_features));
  put_f64(out, options_.quantile);
  put_f64(out, options_.learning_rate);
  put_f64(out, options_.l2);
  put_u64(out, std::uint64_t(updates_));
  for (float w : weights_) put_u32(out, std::bit_cast<std::uint32_t>(w));
  for (float s : grad_sq_) put_u32(out, std::bit_cast<std::uint32_t>(s));
  if (!out) return status(error_code::io_error, "quantile model: write failed");
  return status::ok_status();
}

status_or<quantile_regressor> quantile_regressor::load(std::istream& in) {
  quantile_regressor_options o;
  std::int64_t updates = 0;
  if (status s = read_options(in, o, updates); !s.ok()) return s;
  std::vector<float> weights, grad_sq;
  const float lowest = -std::numeric_limits<float>::max();
  if (!get_floats(in, std::size_t(o.n_features), lowest, weights)) return invalid("truncated or non-finite weights");
  if (!get_floats(in, std::size_t(o.n_features), 0.0f, grad_sq)) return invalid("truncated or invalid AdaGrad state");
  return quantile_regressor(o, std::move(weights), std::move(grad_sq), updates);
}

status quantile_regressor::save_file(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return status(error_code::io_error, path + ": cannot open: " + std::strerror(errno));
  if (status s = save(out); !s.ok()) return status(s.code(), path + ": " + s.message());
  out.close();
  if (!out) return status(error_code::io_error, path + ": write failed");
  return status::ok_status();
}

status_or<quantile_regressor> quantile_regressor::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return status(error_code::io_error, path + ": cannot open: " + std::strerror(errno));
  auto m = load(in);
  if (!m.ok()) return status(m.error().code(), path + ": " + m.error().message());
  if (in.peek() != std::ifstream::traits_type::eof())
    return status(error_code::model_invalid, path + ": trailing bytes after the quantile model");
  return m;
}

}  // namespace binserve
