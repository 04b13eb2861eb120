// The maximum sustainable arrival rate of a configuration, found by
// simulation.
//
// Definition. Replay the workload's N requests arriving as a Poisson process
// of rate λ. The backlog is the number of requests arrived and not finished.
// λ is sustainable when the backlog grows by at most `tolerance` (ε) per
// arrival over the second half of the arrivals:
//
//   backlog(last arrival) - backlog(arrival N/2) <= ε * (arrivals after N/2)
//
// A stable queue's backlog does not grow with N (its bins and batches hold a
// bounded number); one that cannot keep up grows by 1 - μ/λ per arrival,
// where μ is the rate it serves. The maximum sustainable rate λ* is the
// largest sustainable λ, found by bisection to relative `precision`; the
// capacity μ lies in [λ*(1 - ε), λ*] up to sampling noise, which shrinks as
// N grows. The backlog of partial batches waiting for max_wait counts: a long
// max_wait, or many bins, lower λ* when the bins fill slowly.
//
// Arrivals: `unit_rate` carries the arrival times of a rate-1 Poisson
// process (load_workload with arrivals "poisson:1"); rate λ divides them by
// λ, a Poisson process of rate λ from the same draws, so every λ replays the
// same requests and the search is deterministic.
#pragma once

#include "sim/simulator.hpp"

namespace binserve::sim {

struct max_rate_options {
  double tolerance = 0.01;   // ε, in (0, 1)
  double precision = 0.005;  // stop when hi - lo <= precision * hi, in (0, 1)
  double start_rate = 1.0;   // first guess (requests/s), > 0; the bracket grows from it
};

struct max_rate_result {
  double rate = 0;  // λ*: requests/s
  int runs = 0;     // simulations it took
};

// Errors: invalid_argument for options outside their ranges, when fewer than
// 4 requests are given, or when no bracket is found within 2^40 of
// start_rate; simulate's errors.
status_or<max_rate_result> max_sustainable_rate(const sim_config& config, const cost_model& cost,
                                                const tools::workload& unit_rate, const max_rate_options& options);

}  // namespace binserve::sim
