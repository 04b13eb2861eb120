#include "sim/max_rate.hpp"

#include <cmath>

namespace binserve::sim {

namespace {

class rate_probe {
 public:
  rate_probe(const sim_config& c, const cost_model& cost, const tools::workload& w, double tolerance)
      : c_(c), cost_(cost), unit_(w), scaled_(w), tolerance_(tolerance) {}

  // Whether `rate` is sustainable (the header's definition).
  status_or<bool> sustainable(double rate) {
    for (size_t i = 0; i < unit_.arrival_s.size(); ++i) scaled_.arrival_s[i] = unit_.arrival_s[i] / rate;
    auto r = simulate(c_, cost_, scaled_);
    if (!r.ok()) return r.error();
    ++runs;
    const auto n = static_cast<std::int64_t>(unit_.requests.size());
    const std::int64_t half = n / 2;
    const std::int64_t backlog_half = (half + 1) - r->completed_at_half;
    const std::int64_t backlog_last = n - r->completed_at_last;
    return double(backlog_last - backlog_half) <= tolerance_ * double(n - 1 - half);
  }

  int runs = 0;

 private:
  const sim_config& c_;
  const cost_model& cost_;
  const tools::workload& unit_;
  tools::workload scaled_;
  double tolerance_;
};

status check(const tools::workload& w, const max_rate_options& o) {
  auto bad = [](const std::string& m) { return status(error_code::invalid_argument, m); };
  if (!(o.tolerance > 0 && o.tolerance < 1)) return bad("max-rate tolerance must be in (0, 1)");
  if (!(o.precision > 0 && o.precision < 1)) return bad("max-rate precision must be in (0, 1)");
  if (!(o.start_rate > 0) || !std::isfinite(o.start_rate)) return bad("max-rate start rate must be positive");
  if (w.requests.size() < 4) return bad("max-rate needs at least 4 requests");
  return status::ok_status();
}

}  // namespace

status_or<max_rate_result> max_sustainable_rate(const sim_config& config, const cost_model& cost,
                                                const tools::workload& unit_rate, const max_rate_options& o) {
  if (status s = check(unit_rate, o); !s.ok()) return s;
  rate_probe probe(config, cost, unit_rate, o.tolerance);
  auto first = probe.sustainable(o.start_rate);
  if (!first.ok()) return first.error();
  // Bracket: lo sustainable, hi not, by doubling or halving from the guess.
  double lo = *first ? o.start_rate : 0, hi = *first ? 0 : o.start_rate;
  for (int i = 0; i < 40 && (lo == 0 || hi == 0); ++i) {
    const double next = *first ? lo * 2 : hi / 2;
    auto ok = probe.sustainable(next);
    if (!ok.ok()) return ok.error();
    (*ok ? lo : hi) = next;
  }
  if (lo == 0 || hi == 0)
    return status(error_code::invalid_argument, "no sustainable-rate bracket within 2^40 of the start rate");
  while (hi - lo > o.precision * hi) {
    const double mid = (lo + hi) / 2;
    auto ok = probe.sustainable(mid);
    if (!ok.ok()) return ok.error();
    (*ok ? lo : hi) = mid;
  }
  return max_rate_result{lo, probe.runs};
}

}  // namespace binserve::sim
