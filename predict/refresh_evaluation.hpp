// How a remaining-length predictor is measured while sequences decode: at
// admission, after 16, 32 and 64 generated tokens, over every refresh point
// and over each sequence's last 64 tokens. At a point the truth is the tokens
// still to come; scores are MAE, Acc-50 / Acc-100 (within 50 / 100 tokens),
// Kendall's tau-b between predicted and true remaining length, and the
// accuracy over 4 equal-mass bins (edges: quantiles of the training rows'
// remaining lengths at that step).
#pragma once

#include <map>
#include <span>
#include <vector>

namespace binserve {

// One refresh point of a test sequence.
struct refresh_point {
  int step = 0;       // tokens generated so far
  int remaining = 0;  // true tokens still to come
};

struct point_scores {
  int n = 0;
  double mae = 0, acc50 = 0, acc100 = 0, kendall_tau = 0, bin_acc4 = 0;
};

struct refresh_scores {
  point_scores admission;             // step 0
  std::map<int, point_scores> after;  // keyed 16, 32, 64: present where points exist
  double mae_all = 0, mae_last64 = 0;
  int n_all = 0, n_last64 = 0;
};

// Kendall's tau-b of x and y (equal sizes): (concordant - discordant) /
// sqrt((n0 - ties in x) (n0 - ties in y)), n0 = n (n - 1) / 2; 0 when either
// side is constant. O(n^2).
double kendall_tau_b(std::span<const double> x, std::span<const double> y);

// Scores predicted[i] against points[i]. `train` holds the training rows'
// points, for the bins.
refresh_scores score_refresh(std::span<const refresh_point> points, std::span<const int> predicted,
                             std::span<const refresh_point> train);

}  // namespace binserve
