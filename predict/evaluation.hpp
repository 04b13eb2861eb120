// How the papers measure a length predictor: MAE, Acc-50 / Acc-100 (share of
// predictions within 50 / 100 tokens), bin accuracy and +-1-bin accuracy for
// k equal-mass bins (boundaries: quantiles of the training lengths), and the
// under-prediction rate (the cost that matters for FCR).
#pragma once

#include <map>
#include <vector>

#include "predict/dataset.hpp"
#include "predict/length_predictor.hpp"

namespace binserve {

struct evaluation {
  int n = 0;
  double mae = 0, acc50 = 0, acc100 = 0, under_rate = 0;  // fractions in [0, 1]
  std::map<int, double> bin_acc, bin_acc_pm1;             // keyed by k = 2, 4, 8
};

// Predicts each test example (max_new_tokens = max_length) and scores it.
// `train_lengths` set the equal-mass bin boundaries.
evaluation evaluate(length_predictor& p, const std::vector<example>& test, const std::vector<int>& train_lengths,
                    int max_length);

}  // namespace binserve
