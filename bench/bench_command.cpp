// binserve-bench bench: replays one workload through the service under several
// scheduling policies and predictor settings (same requests, same seed) and
// prints one row per run: the matrix of --repeat rounds x arrivals (one
// --arrivals spec, or Poisson at each of --rates) x runs (a multibin run at
// each count of --bins-sweep). Rounds interleave the runs (all runs, then
// all runs again), so machine noise shows as the spread of a label's runs.
//
// A run is POLICY[:PREDICTOR[:QUANTILE]] (tools/bench_run.hpp). Each request
// asks for exactly its workload length (target_length, the way serving
// benchmarks replay traces on dummy weights); `oracle` is told that length,
// `learned` is trained on the workload's training part first (dataset
// workloads) and keeps learning online from completions.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "bench/bench_plot.hpp"
#include "bench/bench_report.hpp"
#include "bench/bench_run.hpp"
#include "bench/commands.hpp"
#include "sim/workload.hpp"
#include "tools/enum_option.hpp"
#include "tools/model_options.hpp"

namespace binserve::tools {

namespace {

struct bench_flags {
  bench_setup setup{.model = "dummy:stories15m"};
  workload_options workload;
  std::vector<std::string> runs = {"vanilla", "multibin", "sequence", "continuous", "continuous-sjf"};
  int bins = 4;
  std::vector<double> rates;
  std::vector<int> bins_sweep;
  int repeat = 1;
  std::string csv, plot_dir;
  bool progress = false, json = false;
};

// One workload per arrivals spec: the same requests, arriving differently.
struct arrival_case {
  std::string spec;
  std::optional<double> rate;
  workload w;
};

std::string rate_spec(double rate) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "poisson:%g", rate);
  return buf;
}

status_or<std::vector<arrival_case>> load_cases(const bench_flags& f) {
  std::vector<arrival_case> cases;
  if (f.rates.empty()) cases.push_back({f.workload.arrivals, {}, {}});
  for (double r : f.rates) cases.push_back({rate_spec(r), r, {}});
  if (f.rates.empty() && f.workload.arrivals.rfind("poisson:", 0) == 0)
    cases[0].rate = std::atof(f.workload.arrivals.c_str() + 8);
  for (arrival_case& c : cases) {
    workload_options o = f.workload;
    o.arrivals = c.spec;
    o.served_model = f.setup.model;
    auto w = load_workload(o);
    if (!w.ok()) return w.error();
    c.w = std::move(*w);
  }
  return cases;
}

// The runs of one round at one arrivals spec: multibin once per swept count.
status_or<std::vector<run_point>> round_points(const bench_flags& f, const arrival_case& c, int round) {
  std::vector<run_point> points;
  for (const std::string& s : f.runs) {
    auto run = parse_run(s);
    if (!run.ok()) return run.error();
    const bool sweep = run->policy == policy_kind::multibin && !f.bins_sweep.empty();
    for (int k : sweep ? f.bins_sweep : std::vector<int>{f.bins}) points.push_back({*run, k, c.spec, c.rate, round});
  }
  return points;
}

status check_flags(const bench_flags& f) {
  const auto invalid = [](const std::string& m) { return status(error_code::invalid_argument, m); };
  if (!f.rates.empty() && f.workload.arrivals != "offline")
    return invalid("--rates sets Poisson arrivals: give either --rates or --arrivals");
  const bool multibin = std::any_of(f.runs.begin(), f.runs.end(), [](const std::string& r) {
    const auto run = parse_run(r);
    return run.ok() && run->policy == policy_kind::multibin;
  });
  if (!f.bins_sweep.empty() && !multibin) return invalid("--bins-sweep needs a multibin run in --policies");
  if (f.plot_dir.empty()) return {};
  if (f.rates.empty() && f.bins_sweep.size() < 2)
    return invalid("--plot draws --bins-sweep (two or more counts) and --rates rows: give one of them");
  return check_gnuplot();
}

// "[3/12] multibin poisson:20 k=4": the progress bar's title.
std::string run_title(std::size_t i, std::size_t n, const run_point& p) {
  const std::string k = p.run.policy == policy_kind::multibin ? " k=" + std::to_string(p.bins) : "";
  return "[" + std::to_string(i) + "/" + std::to_string(n) + "] " + p.run.label + " " + p.arrivals + k;
}

status_or<std::vector<bench_row>> run_all(const bench_flags& f, const std::vector<arrival_case>& cases) {
  std::vector<std::pair<run_point, const workload*>> plan;
  for (int round = 1; round <= f.repeat; ++round)
    for (const arrival_case& c : cases) {
      auto points = round_points(f, c, round);
      if (!points.ok()) return points.error();
      for (run_point& p : *points) plan.emplace_back(std::move(p), &c.w);
    }
  std::vector<bench_row> rows;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const run_point& p = plan[i].first;
    auto row = run_once(f.setup, p, *plan[i].second, run_title(i + 1, plan.size(), p));
    if (!row.ok()) return row.error();
    rows.push_back(std::move(*row));
  }
  set_ratios(rows);
  return rows;
}

status print_report(const bench_flags& f, const std::vector<bench_row>& rows) {
  const std::vector<run_spread> spread = spreads(rows);
  if (f.json) {
    nlohmann::json j{{"model", f.setup.model},
                     {"workload", f.workload.source},
                     {"results", nlohmann::json::array()},
                     {"spread", nlohmann::json::array()}};
    for (const bench_row& r : rows) j["results"].push_back(to_json(r));
    for (const run_spread& s : spread) j["spread"].push_back(to_json(s));
    std::cout << j.dump() << "\n";
  } else {
    std::cout << to_table(rows, f.repeat > 1);
    if (f.repeat > 1) std::cout << "\nrequests/s over " << f.repeat << " rounds\n" << to_table(spread);
  }
  if (!f.csv.empty())
    if (status s = write_csv(rows, f.csv); !s.ok()) return s;
  if (!f.plot_dir.empty()) return write_plots(rows, f.plot_dir);
  return {};
}

int run_bench(bench_flags f) {
  f.setup.cap = f.workload.cap;
  f.setup.progress = f.progress || isatty(STDERR_FILENO);
  if (status s = check_flags(f); !s.ok()) return report(s);
  auto cases = load_cases(f);
  if (!cases.ok()) return report(cases.error());
  auto rows = run_all(f, *cases);
  if (!rows.ok()) return report(rows.error());
  if (status s = print_report(f, *rows); !s.ok()) return report(s);
  return 0;
}

void add_workload_options(CLI::App* cmd, bench_flags& f) {
  cmd->add_option("--workload", f.workload.source,
                  "const:N, uniform:A:B, exponential:MEAN, a length trace (JSON), an Azure trace (CSV) or a "
                  "prompt dataset (alpaca JSON / JSONL)")
      ->required();
  cmd->add_option("--arrivals", f.workload.arrivals, "offline, poisson:RATE or trace[:SCALE] (CSV workloads)")
      ->capture_default_str();
  cmd->add_option("--hint-field", f.workload.hint_field,
                  "JSON trace: a second length field the `hint` predictor reads (e.g. L_t0.7)");
  cmd->add_option("--length-field", f.workload.length_field, "trace: the record's length field")->capture_default_str();
  cmd->add_option("--length-model", f.workload.length_model,
                  "dataset: the model whose tokenizer counts response lengths");
  cmd->add_option("--test-fraction", f.workload.test_fraction,
                  "dataset: share replayed (the rest trains learned predictors)")
      ->capture_default_str();
  cmd->add_option("--requests", f.workload.requests, "trace/const/synthetic: requests")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--cap", f.workload.cap, "max new tokens (vanilla's cap)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", f.workload.seed, "synthetic lengths and Poisson arrivals")->capture_default_str();
}

void add_policy_options(CLI::App* cmd, bench_flags& f) {
  cmd->add_option("--model", f.setup.model, "model path or dummy:PRESET")->capture_default_str();
  add_enum_option(*cmd, "--backend", f.setup.backend, "cpu, cuda or null");
  cmd->add_option("--threads", f.setup.threads, "CPU threads per executor (0: every core)");
  add_enum_option(*cmd, "--dtype", f.setup.dtype, "fp32, fp16 or bf16 (fp16/bf16: cuda)");
  cmd->add_option("--device", f.setup.device, "cuda: device ordinal")->capture_default_str();
  cmd->add_option("--step-trace", f.setup.step_trace,
                  "append every executor step (shape, seconds) to this file, for sim --cost");
  cmd->add_option("--policies", f.runs, "runs: POLICY[+novbs][+nofcr][+rebin][:PREDICTOR[:QUANTILE]]")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--batch", f.setup.batch, "batch size B")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--bins", f.bins, "multibin: bins")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-batch", f.setup.max_batch, "continuous: live sequences at once")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  add_enum_option(*cmd, "--retry", f.setup.retry, "overflowed jobs: restart or resume");
  cmd->add_option("--max-wait-steps", f.setup.max_wait_steps,
                  "continuous: a request waiting this many steps goes first in its class (0: no guard)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-preemptions", f.setup.max_preemptions,
                  "continuous-srpt: the most times one request is preempted")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  add_enum_option(*cmd, "--kv-admission", f.setup.kv_reserve,
                  "continuous: KV blocks reserved for prompt + max (max) or prompt + predicted length");
  cmd->add_option("--kv-cache-bytes", f.setup.kv_cache_bytes, "each executor's KV cache (0: the backend's default)")
      ->capture_default_str();
  cmd->add_flag("--own-stops", f.setup.own_stops,
                "dataset: sample each request with --temperature/--top-p and its record's seed and stop at "
                "the model's stop tokens (the record's length is then only the oracle's)");
  cmd->add_option("--temperature", f.setup.temperature, "--own-stops: the sampler's temperature")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 2.0));
  cmd->add_option("--top-p", f.setup.top_p, "--own-stops: nucleus sampling mass")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--probe-model", f.setup.probe_model,
                  "the `probe` predictor's trained file (predictor train --kind probe)");
}

void add_output_options(CLI::App* cmd, bench_flags& f) {
  cmd->add_option("--rates", f.rates, "Poisson rates (requests/s): every run at each")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  cmd->add_option("--bins-sweep", f.bins_sweep, "multibin runs at each of these bin counts")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  cmd->add_option("--repeat", f.repeat, "rounds of all runs, interleaved")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--csv", f.csv, "write every row to this CSV file");
  cmd->add_option("--plot", f.plot_dir, "write gnuplot PNGs (and their script) into this folder");
  cmd->add_flag("--progress", f.progress, "draw a progress bar on stderr (default: when it is a terminal)");
  cmd->add_flag("--json", f.json, "print one JSON object");
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto f = std::make_shared<bench_flags>();
  CLI::App* cmd = app.add_subcommand("bench", "replay a workload under several policies");
  add_workload_options(cmd, *f);
  add_policy_options(cmd, *f);
  add_output_options(cmd, *f);
  cmd->callback([f] {
    if (int rc = run_bench(*f); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace binserve::tools
