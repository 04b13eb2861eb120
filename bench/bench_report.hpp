// `binserve-bench bench`'s report: the rows of its runs as a table, JSON and CSV,
// each row's ratio to vanilla, and the spread of repeated runs.
// Pure functions of the rows (no I/O but write_csv).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/bench_run.hpp"
#include "binserve/status.hpp"

namespace binserve::tools {

// Sets each row's ratio_to_vanilla: its requests/s over that of the vanilla
// row with the same arrivals and round; left empty when there is none.
void set_ratios(std::vector<bench_row>& rows);

// The requests/s of one run label (and arrivals and bins) over the rounds
// of --repeat.
struct run_spread {
  std::string label, arrivals;
  int bins = 0;
  int runs = 0;
  double mean = 0, min = 0, max = 0;  // requests/s
};

// One spread per distinct (label, arrivals, bins), in the rows' order.
std::vector<run_spread> spreads(const std::vector<bench_row>& rows);

// A fixed-width table, one line per row; with `rounds`, a round column.
std::string to_table(const std::vector<bench_row>& rows, bool rounds);
std::string to_table(const std::vector<run_spread>& spreads);

nlohmann::json to_json(const bench_row& row);
nlohmann::json to_json(const run_spread& spread);

// Writes a header and one line per row to `path`.
// Errors: io_error when the file cannot be written.
status write_csv(const std::vector<bench_row>& rows, const std::string& path);

}  // namespace binserve::tools
