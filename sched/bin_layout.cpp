#include "sched/bin_layout.hpp"

#include <algorithm>
#include <climits>

#include "config/config_rules.hpp"
#include "sched/core.hpp"
#include "sched/policy.hpp"

namespace binserve::sched {

namespace {

status check(const policy_config& p, int max_new_tokens) {
  if (status s = check_rules(p); !s.ok()) return s;
  if (max_new_tokens < 1)
    return status(error_code::config_invalid,
                  "limits.max_new_tokens: must be >= 1 (got " + std::to_string(max_new_tokens) + ")");
  return status::ok_status();
}

}  // namespace

status_or<bin_layout> bin_layout::make(const policy_config& p, int max_new_tokens) {
  if (status s = check(p, max_new_tokens); !s.ok()) return s;
  bin_layout l;
  l.max_new_tokens_ = max_new_tokens;
  const bin_spec retry{max_new_tokens, INT_MAX, p.batch_size, max_new_tokens};
  if (sched::is_continuous(p.kind)) return l;
  if (p.kind == policy_kind::vanilla) {
    l.bins_ = {{0, INT_MAX, p.batch_size, max_new_tokens}};
  } else if (p.kind == policy_kind::multibin) {
    l.bins_.assign(p.bins, bin_spec{0, 0, p.batch_size, max_new_tokens});
    l.online_ = p.length_sample.empty();
    std::vector<int> sample = p.length_sample;
    if (l.online_)  // until predictions arrive: an even split of [1, max_new_tokens]
      for (int i = 1; i <= max_new_tokens; ++i) sample.push_back(i);
    l.set_equal_mass(std::move(sample));
  } else {  // sequence
    const std::int64_t budget = p.kv_token_budget > 0 ? p.kv_token_budget : std::int64_t(p.batch_size) * max_new_tokens;
    for (int lo = 0; lo < max_new_tokens; lo += p.bin_width) {
      const int hi = std::min(lo + p.bin_width, max_new_tokens);
      const int size = p.variable_batch
                           ? static_cast<int>(std::clamp<std::int64_t>(budget / hi, p.batch_size, p.max_batch_size))
                           : p.batch_size;
      l.bins_.push_back({lo, hi, size, p.cap_batches ? hi : max_new_tokens});
    }
    l.bins_.back().hi = INT_MAX;
    l.rebin_ = p.rebin && p.cap_batches;
  }
  l.bins_.push_back(retry);
  return l;
}

int bin_layout::bin_for(int predicted) const {
  // The last regular bin is open-ended; the retry bin is never chosen here.
  const int regular = static_cast<int>(bins_.size()) - 1;
  for (int b = 0; b < regular - 1; ++b)
    if (predicted < bins_[b].hi) return b;
  return regular - 1;
}

int bin_layout::route(int predicted, int retries, int made) {
  observe_prediction(predicted);
  if (retries == 0) return bin_for(predicted);
  return rebin_ ? bin_for(estimate_after(predicted, made, max_new_tokens_)) : retry_bin();
}

void bin_layout::set_equal_mass(std::vector<int> sample) {
  std::sort(sample.begin(), sample.end());
  const int k = static_cast<int>(bins_.size());
  int lo = 0;
  for (int b = 0; b < k; ++b) {
    // Upper edge: the (b+1)/k quantile, so each bin holds 1/k of the mass.
    const size_t at = std::min(sample.size() - 1, sample.size() * (b + 1) / k);
    int hi = b == k - 1 ? INT_MAX : std::max(lo + 1, sample[at]);
    bins_[b].lo = lo;
    bins_[b].hi = hi;
    lo = hi;
  }
}

void bin_layout::observe_prediction(int predicted) {
  if (!online_) return;
  recent_.push_back(predicted);
  if (static_cast<int>(recent_.size()) > kWindow) recent_.pop_front();
  if (++since_refit_ < kRefit) return;
  since_refit_ = 0;
  const bin_spec retry = bins_.back();
  bins_.pop_back();
  set_equal_mass(std::vector<int>(recent_.begin(), recent_.end()));
  bins_.push_back(retry);
}

std::vector<bin_summary> bin_layout::summaries() const {
  std::vector<bin_summary> out;
  for (size_t b = 0; b < bins_.size(); ++b)
    out.push_back({static_cast<int>(b), bins_[b].lo, bins_[b].hi, b + 1 == bins_.size(), bins_[b].batch_size,
                   bins_[b].cap, 0, 0, 0.0});
  return out;
}

}  // namespace binserve::sched
