#include "predict/evaluation.hpp"

#include <algorithm>
#include <cstdlib>

namespace binserve {

namespace {

constexpr int kBinCounts[] = {2, 4, 8};

// Upper edges of k equal-mass bins of `sorted` (not empty), exactly as
// bin_layout::set_equal_mass places them, so a bin hit here is a bin hit in
// the multibin scheduler. Bin b holds [edge[b-1], edge[b]); the last bin is
// open-ended, so its edge is never consulted.
std::vector<int> equal_mass_edges(const std::vector<int>& sorted, int k) {
  std::vector<int> edges;
  int lo = 0;
  for (int b = 0; b < k; ++b) {
    const size_t at = std::min(sorted.size() - 1, sorted.size() * (b + 1) / k);
    edges.push_back(std::max(lo + 1, sorted[at]));
    lo = edges.back();
  }
  return edges;
}

int bin_of(const std::vector<int>& edges, int length) {
  const int last = static_cast<int>(edges.size()) - 1;
  for (int b = 0; b < last; ++b)
    if (length < edges[b]) return b;
  return last;
}

struct bin_scores {
  std::vector<int> edges;
  int exact = 0, within_one = 0;
};

}  // namespace

evaluation evaluate(length_predictor& p, const std::vector<example>& test, const std::vector<int>& train_lengths,
                    int max_length) {
  std::vector<int> sorted = train_lengths;
  std::sort(sorted.begin(), sorted.end());
  std::vector<bin_scores> bins;
  if (!sorted.empty())
    for (int k : kBinCounts) bins.push_back({equal_mass_edges(sorted, k)});

  evaluation ev;
  ev.n = static_cast<int>(test.size());
  double abs_error = 0;
  int within50 = 0, within100 = 0, under = 0;
  for (const example& e : test) {
    const int predicted = p.predict({e.prompt, e.prompt_ids, 0, max_length});
    const int error = std::abs(predicted - e.length);
    abs_error += error;
    within50 += error <= 50;
    within100 += error <= 100;
    under += predicted < e.length;
    for (bin_scores& s : bins) {
      const int diff = std::abs(bin_of(s.edges, predicted) - bin_of(s.edges, e.length));
      s.exact += diff == 0;
      s.within_one += diff <= 1;
    }
  }
  if (ev.n == 0) return ev;
  const double n = ev.n;
  ev.mae = abs_error / n;
  ev.acc50 = within50 / n;
  ev.acc100 = within100 / n;
  ev.under_rate = under / n;
  for (size_t i = 0; i < bins.size(); ++i) {
    ev.bin_acc[kBinCounts[i]] = bins[i].exact / n;
    ev.bin_acc_pm1[kBinCounts[i]] = bins[i].within_one / n;
  }
  return ev;
}

}  // namespace binserve
