// Which bin a request goes to, and how each bin batches: the scheduling
// policy as data. Pure (no CAF), shared by the actors and the simulator.
//
//   vanilla   one bin [0, inf), batch B, cap max_new_tokens
//   multibin  k bins of equal probability mass of the predicted-length
//             distribution (quantiles of a sample, or of recent predictions
//             when no sample is given), batch B each, cap max_new_tokens
//   sequence  bins [0, w), [w, 2w), ... up to max_new_tokens; cap = the
//             bin's upper edge; with VBS a bin of cap c batches
//             clamp(budget / c, B, max_batch_size) requests; without
//             cap_batches (no FCR) every cap is max_new_tokens
// Every binned policy has one more bin, the retry bin, for jobs that
// overflowed a cap: batch B, cap max_new_tokens. With `rebin` (sequence) a
// job that overflowed after making m tokens goes instead to the bin of
// estimate_after(predicted, m), above m, so its next cap is above m too.
// A cap counts all the tokens a job has made, those resumed included.
// Continuous policies have no bins (bins() is empty): sched/core.hpp
// schedules them.
#pragma once

#include <deque>
#include <vector>

#include "binserve/config.hpp"
#include "binserve/stats.hpp"
#include "binserve/status.hpp"

namespace binserve::sched {

struct bin_spec {
  int lo = 0, hi = 0;  // predicted lengths [lo, hi)
  int batch_size = 0;  // emit a batch at this many requests
  int cap = 0;         // a batch stops generating after this many tokens
};

class bin_layout {
 public:
  // Errors: config_invalid "KEY: what" naming the field that is wrong
  // (config/config_rules.hpp's policy rules; limits.max_new_tokens >= 1).
  static status_or<bin_layout> make(const policy_config& policy, int max_new_tokens);

  bool continuous() const { return bins_.empty(); }
  const std::vector<bin_spec>& bins() const { return bins_; }
  int retry_bin() const { return static_cast<int>(bins_.size()) - 1; }

  // The bin for a first attempt predicted to produce `predicted` tokens.
  // Precondition: !continuous().
  int bin_for(int predicted) const;

  // multibin without a sample: records a prediction; every `kRefit`
  // predictions the boundaries move to the quantiles of the last `kWindow`.
  void observe_prediction(int predicted);

  // The scheduler's routing rule: observes the prediction, then a first
  // attempt (retries == 0) goes to bin_for(predicted), a retry to the retry
  // bin, or with rebin to bin_for(estimate_after(predicted, made)), where
  // `made` is the tokens it had made when it last overflowed.
  // Precondition: !continuous().
  int route(int predicted, int retries, int made);

  // The layout as reported by stats (counters zero).
  std::vector<bin_summary> summaries() const;

 private:
  static constexpr int kWindow = 1024, kRefit = 256;
  void set_equal_mass(std::vector<int> sample);

  std::vector<bin_spec> bins_;
  bool online_ = false;  // multibin boundaries estimated online
  bool rebin_ = false;
  int max_new_tokens_ = 0;
  std::deque<int> recent_;
  int since_refit_ = 0;
};

}  // namespace binserve::sched
