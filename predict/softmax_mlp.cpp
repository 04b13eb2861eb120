#include "predict/softmax_mlp.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <nlohmann/json.hpp>

namespace binserve {

namespace {

// c (m, n) = a (m, k) @ b^T where b is (n, k); beta = 0
void mul_bt(float* c, const float* a, const float* b, int m, int k, int n) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
}

// c (n, k) = a^T @ b where a is (m, n), b is (m, k); beta = 0
void mul_at(float* c, const float* a, const float* b, int m, int n, int k) {
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, k, m, 1.0f, a, n, b, k, 0.0f, c, k);
}

// c (m, k) = a (m, n) @ b (n, k); beta = 0
void mul(float* c, const float* a, const float* b, int m, int n, int k) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, k, n, 1.0f, a, n, b, k, 0.0f, c, k);
}

// sums (cols) = column sums of a (rows, cols)
void column_sums(std::vector<float>& sums, const std::vector<float>& a, int rows, int cols) {
  sums.assign(cols, 0.0f);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) sums[c] += a[std::size_t(r) * cols + c];
}

// g += l2 * w: weight decay
void add_decay(std::vector<float>& g, const std::vector<float>& w, double l2) {
  for (std::size_t i = 0; i < w.size(); ++i) g[i] += float(l2) * w[i];
}

void init_he(std::vector<float>& w, int fan_in, std::mt19937_64& rng) {
  std::normal_distribution<float> d(0.0f, std::sqrt(2.0f / std::max(1, fan_in)));
  for (float& v : w) v = d(rng);
}

// Adam's first and second moments of one tensor.
struct adam_state {
  std::vector<float> m, v;
  void update(std::vector<float>& w, const std::vector<float>& g, double lr, long t) {
    if (m.empty()) m.assign(w.size(), 0.0f), v.assign(w.size(), 0.0f);
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const double c1 = 1.0 - std::pow(b1, double(t)), c2 = 1.0 - std::pow(b2, double(t));
    for (std::size_t i = 0; i < w.size(); ++i) {
      m[i] = float(b1 * m[i] + (1 - b1) * g[i]);
      v[i] = float(b2 * v[i] + (1 - b2) * double(g[i]) * g[i]);
      w[i] -= float(lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps));
    }
  }
};

}  // namespace

// Activations and gradients of one minibatch.
struct softmax_mlp::batch_state {
  std::vector<float> h, p, dz, dh;        // [m, hidden], [m, classes]
  std::vector<float> gw1, gb1, gw2, gb2;  // shaped like the weights
};

softmax_mlp::softmax_mlp(int inputs, int classes, int hidden) : inputs_(inputs), classes_(classes), hidden_(hidden) {}

softmax_mlp::softmax_mlp(int inputs, int classes, int hidden, std::uint64_t seed)
    : inputs_(inputs), classes_(classes), hidden_(hidden) {
  std::mt19937_64 rng(seed);
  const int width = hidden_ > 0 ? hidden_ : inputs_;
  if (hidden_ > 0) {
    w1_.resize(std::size_t(hidden_) * inputs_);
    b1_.assign(hidden_, 0.0f);
    init_he(w1_, inputs_, rng);
  }
  w2_.resize(std::size_t(classes_) * width);
  b2_.assign(classes_, 0.0f);
  init_he(w2_, width, rng);
}

void softmax_mlp::forward(const float* x, int m, batch_state& s) const {
  const float* in = x;
  const int width = hidden_ > 0 ? hidden_ : inputs_;
  if (hidden_ > 0) {
    // h (m, hidden) = relu(x @ w1^T + b1)
    s.h.resize(std::size_t(m) * hidden_);
    mul_bt(s.h.data(), x, w1_.data(), m, inputs_, hidden_);
    for (int r = 0; r < m; ++r)
      for (int j = 0; j < hidden_; ++j) {
        float& v = s.h[std::size_t(r) * hidden_ + j];
        v = std::max(0.0f, v + b1_[j]);
      }
    in = s.h.data();
  }
  // p (m, classes) = softmax(in @ w2^T + b2)
  s.p.resize(std::size_t(m) * classes_);
  mul_bt(s.p.data(), in, w2_.data(), m, width, classes_);
  for (int r = 0; r < m; ++r) {
    float* z = &s.p[std::size_t(r) * classes_];
    float max = -INFINITY;
    for (int c = 0; c < classes_; ++c) max = std::max(max, z[c] += b2_[c]);
    float sum = 0.0f;
    for (int c = 0; c < classes_; ++c) sum += (z[c] = std::exp(z[c] - max));
    for (int c = 0; c < classes_; ++c) z[c] /= sum;
  }
}

void softmax_mlp::probabilities(std::span<const float> x, std::span<float> p) const {
  batch_state s;
  forward(x.data(), 1, s);
  std::copy(s.p.begin(), s.p.end(), p.begin());
}

// Cross-entropy gradients of the mean over m rows into s.g*, with weight decay l2.
void softmax_mlp::gradients(const float* x, const int* y, int m, double l2, batch_state& s) const {
  forward(x, m, s);
  const int width = hidden_ > 0 ? hidden_ : inputs_;
  const float* in = hidden_ > 0 ? s.h.data() : x;
  // dz (m, classes) = (p - onehot(y)) / m
  s.dz = s.p;
  for (int r = 0; r < m; ++r) s.dz[std::size_t(r) * classes_ + y[r]] -= 1.0f;
  for (float& v : s.dz) v /= float(m);
  // gw2 (classes, width) = dz^T @ in; gb2 = column sums of dz
  s.gw2.resize(w2_.size());
  mul_at(s.gw2.data(), s.dz.data(), in, m, classes_, width);
  column_sums(s.gb2, s.dz, m, classes_);
  add_decay(s.gw2, w2_, l2);
  if (hidden_ == 0) return;
  // dh (m, hidden) = (dz @ w2) where h > 0; gw1 (hidden, inputs) = dh^T @ x; gb1 = column sums of dh
  s.dh.resize(std::size_t(m) * hidden_);
  mul(s.dh.data(), s.dz.data(), w2_.data(), m, classes_, hidden_);
  for (std::size_t i = 0; i < s.dh.size(); ++i)
    if (s.h[i] <= 0.0f) s.dh[i] = 0.0f;
  s.gw1.resize(w1_.size());
  mul_at(s.gw1.data(), s.dh.data(), x, m, hidden_, inputs_);
  column_sums(s.gb1, s.dh, m, hidden_);
  add_decay(s.gw1, w1_, l2);
}

void softmax_mlp::fit(std::span<const float> x, std::span<const int> y, const mlp_options& o, std::uint64_t seed) {
  const int n = static_cast<int>(y.size());
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  adam_state aw1, ab1, aw2, ab2;
  batch_state s;
  std::vector<float> xb;
  std::vector<int> yb;
  long t = 0;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    for (int first = 0; first < n; first += o.batch) {
      const int m = std::min(o.batch, n - first);
      xb.resize(std::size_t(m) * inputs_);
      yb.resize(m);
      for (int r = 0; r < m; ++r) {
        const int i = order[first + r];
        std::copy_n(x.data() + std::size_t(i) * inputs_, inputs_, xb.data() + std::size_t(r) * inputs_);
        yb[r] = y[i];
      }
      gradients(xb.data(), yb.data(), m, o.l2, s);
      ++t;
      aw2.update(w2_, s.gw2, o.learning_rate, t);
      ab2.update(b2_, s.gb2, o.learning_rate, t);
      if (hidden_ > 0) {
        aw1.update(w1_, s.gw1, o.learning_rate, t);
        ab1.update(b1_, s.gb1, o.learning_rate, t);
      }
    }
  }
}

void softmax_mlp::step(std::span<const float> x, int y, double lr) {
  batch_state s;
  gradients(x.data(), &y, 1, 0.0, s);
  auto sgd = [lr](std::vector<float>& w, const std::vector<float>& g) {
    for (std::size_t i = 0; i < w.size(); ++i) w[i] -= float(lr) * g[i];
  };
  sgd(w2_, s.gw2);
  sgd(b2_, s.gb2);
  if (hidden_ > 0) {
    sgd(w1_, s.gw1);
    sgd(b1_, s.gb1);
  }
}

nlohmann::json softmax_mlp::to_json() const {
  return {{"inputs", inputs_}, {"classes", classes_}, {"hidden", hidden_}, {"w1", w1_},
          {"b1", b1_},         {"w2", w2_},           {"b2", b2_}};
}

status_or<softmax_mlp> softmax_mlp::from_json(const nlohmann::json& j, const std::string& where) {
  auto invalid = [&](const std::string& why) { return status(error_code::model_invalid, where + ": " + why); };
  try {
    const int inputs = j.at("inputs").get<int>(), classes = j.at("classes").get<int>(),
              hidden = j.at("hidden").get<int>();
    if (inputs < 1 || classes < 1 || hidden < 0 || inputs > (1 << 20) || classes > 4096 || hidden > 4096)
      return invalid("classifier sizes out of range");
    // The arrays' sizes are checked before anything of the declared sizes is allocated.
    const std::size_t width = hidden > 0 ? hidden : inputs;
    if (j.at("w1").size() != (hidden > 0 ? std::size_t(hidden) * inputs : 0) ||
        j.at("b1").size() != std::size_t(hidden) || j.at("w2").size() != classes * width ||
        j.at("b2").size() != std::size_t(classes))
      return invalid("classifier weights do not match its sizes");
    softmax_mlp m(inputs, classes, hidden);
    m.w1_ = j.at("w1").get<std::vector<float>>();
    m.b1_ = j.at("b1").get<std::vector<float>>();
    m.w2_ = j.at("w2").get<std::vector<float>>();
    m.b2_ = j.at("b2").get<std::vector<float>>();
    for (const auto* w : {&m.w1_, &m.b1_, &m.w2_, &m.b2_})
      if (!std::all_of(w->begin(), w->end(), [](float v) { return std::isfinite(v); }))
        return invalid("classifier weights are not finite");
    return m;
  } catch (const nlohmann::json::exception& e) {
    return invalid(std::string("classifier: ") + e.what());
  }
}

}  // namespace binserve
