#include "predict/refresh_evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace binserve {

namespace {

// Bin of v among 4 equal-mass bins of `sorted`.
int bin4(const std::vector<int>& sorted, int v) {
  int b = 0;
  for (int j = 1; j < 4; ++j)
    if (v >= sorted[sorted.size() * j / 4]) b = j;
  return b;
}

point_scores score_at(std::span<const refresh_point> points, std::span<const int> predicted,
                      std::span<const refresh_point> train, int step) {
  point_scores s;
  std::vector<double> x, y;
  std::vector<int> train_remaining;
  for (const refresh_point& t : train)
    if (t.step == step) train_remaining.push_back(t.remaining);
  std::sort(train_remaining.begin(), train_remaining.end());
  int bin_hits = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (points[i].step != step) continue;
    const int err = std::abs(predicted[i] - points[i].remaining);
    ++s.n;
    s.mae += err;
    s.acc50 += err <= 50;
    s.acc100 += err <= 100;
    if (!train_remaining.empty())
      bin_hits += bin4(train_remaining, predicted[i]) == bin4(train_remaining, points[i].remaining);
    x.push_back(predicted[i]);
    y.push_back(points[i].remaining);
  }
  if (s.n == 0) return s;
  s.mae /= s.n;
  s.acc50 /= s.n;
  s.acc100 /= s.n;
  s.bin_acc4 = double(bin_hits) / s.n;
  s.kendall_tau = kendall_tau_b(x, y);
  return s;
}

}  // namespace

double kendall_tau_b(std::span<const double> x, std::span<const double> y) {
  const std::size_t n = x.size();
  double concordant = 0, discordant = 0, ties_x = 0, ties_y = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      const double dx = x[i] - x[j], dy = y[i] - y[j];
      if (dx == 0) ties_x += 1;
      if (dy == 0) ties_y += 1;
      if (dx != 0 && dy != 0) (dx * dy > 0 ? concordant : discordant) += 1;
    }
  const double n0 = double(n) * (n - 1) / 2;
  const double denominator = std::sqrt((n0 - ties_x) * (n0 - ties_y));
  return denominator > 0 ? (concordant - discordant) / denominator : 0.0;
}

refresh_scores score_refresh(std::span<const refresh_point> points, std::span<const int> predicted,
                             std::span<const refresh_point> train) {
  refresh_scores r;
  r.admission = score_at(points, predicted, train, 0);
  for (int step : {16, 32, 64})
    if (point_scores s = score_at(points, predicted, train, step); s.n > 0) r.after[step] = s;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const int err = std::abs(predicted[i] - points[i].remaining);
    ++r.n_all;
    r.mae_all += err;
    if (points[i].remaining < 64) ++r.n_last64, r.mae_last64 += err;
  }
  if (r.n_all > 0) r.mae_all /= r.n_all;
  if (r.n_last64 > 0) r.mae_last64 /= r.n_last64;
  return r;
}

}  // namespace binserve
