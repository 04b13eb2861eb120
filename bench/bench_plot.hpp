// `binserve-bench bench --plot DIR`: PNG plots of a bench's rows, drawn by the
// gnuplot program (pngcairo terminal, or png where cairo is missing).
//
//   DIR/throughput_vs_bins.png  requests/s against the number of bins, one
//                               line per multibin run and arrivals (mean and
//                               min-max over rounds); from --bins-sweep
//   DIR/latency_vs_load.png     latency p50 and p99 against the offered
//                               Poisson rate, per run and bins; from --rates
//   DIR/bench.gp                the gnuplot script, its data inline, so
//                               `cd DIR && gnuplot bench.gp` redraws them
#pragma once

#include <string>
#include <vector>

#include "bench/bench_run.hpp"
#include "binserve/status.hpp"

namespace binserve::tools {

// Errors: io_error saying how to install gnuplot when it is not on PATH.
status check_gnuplot();

// Writes the plots that `rows` have data for into DIR (created if needed)
// by running gnuplot there; gnuplot's own messages go to stderr.
// Errors: invalid_argument (no multibin rows at two or more bin counts and
// no rows with a Poisson rate: nothing to plot); io_error (DIR cannot be
// written; gnuplot missing or failing, naming the script).
status write_plots(const std::vector<bench_row>& rows, const std::string& dir);

}  // namespace binserve::tools
