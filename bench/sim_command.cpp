// binserve-bench sim: the discrete-event simulator (sim/simulator.hpp) over a
// sweep of policies, executor counts, arrival rates and bin counts; one row
// per combination.
//
// Time: with `--cost unit` every step costs 1/R seconds, where R is
// --resolution; a length source's token counts (uniform:A:B, const:N,
// exponential:MEAN), --cap, --bin-width and --fixed-length are multiplied by
// R. So lengths are drawn on a grid R times finer and a length of L still
// takes L seconds: uniform:1:20 at R = 100 approximates the continuous
// uniform service times of the Multi-Bin Batching analysis. Fitted cost
// models (a saved model, bench-engine --json, or a step trace the service
// wrote: sim/cost_model.hpp) need R = 1 and give seconds of that engine.
//
// ratio_to_1: a row's throughput over the row with the first --bins and the
// first --executors value, same policy and rate (rate 0: --arrivals as given).
// With --max-rate, max_rate (sim/max_rate.hpp) and max_rate_ratio_to_1 too.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bench/bench_run.hpp"
#include "bench/commands.hpp"
#include "bench/serving_figures.hpp"
#include "sim/max_rate.hpp"
#include "sim/simulator.hpp"
#include "tools/enum_option.hpp"
#include "tools/model_options.hpp"

namespace binserve::tools {

namespace {

struct sim_flags {
  workload_options workload;
  int resolution = 1;
  std::vector<std::string> policies = {"multibin"};
  std::vector<int> bins = {4}, executors = {1};
  std::vector<double> rates;  // Poisson rates; empty: --arrivals as given
  int batch = 16, max_batch = 16, bin_width = 50;
  std::int64_t max_wait_ms = 50;
  int max_wait_steps = policy_config{}.max_wait_steps;
  int max_preemptions = policy_config{}.max_preemptions;
  kv_admission kv_reserve = kv_admission::max;
  std::int64_t kv_blocks = 0;
  retry_mode retry = retry_mode::restart;
  predictor_config predictor;
  std::string cost = "unit", save_cost;
  bool max_rate = false, json = false;
  double tolerance = 0.01;
};

// The source with its token counts multiplied by r (see the header). A
// malformed spec is passed on unchanged: load_workload names it.
status_or<std::string> scale_source(const std::string& source, int r) {
  if (r == 1) return source;
  const auto colon = source.find(':');
  const std::string kind = source.substr(0, colon);
  if (colon == std::string::npos || (kind != "uniform" && kind != "const" && kind != "exponential"))
    return status(error_code::invalid_argument,
                  "--resolution applies to uniform:, const: and exponential: sources, not '" + source + "'");
  std::string out = kind;
  std::stringstream args(source.substr(colon + 1));
  for (std::string a; std::getline(args, a, ':');) {
    char* end = nullptr;
    const double v = std::strtod(a.c_str(), &end);
    if (a.empty() || *end != '\0' || (kind != "exponential" && v != std::floor(v))) return source;
    out += ":" + (kind == "exponential" ? std::to_string(v * r) : std::to_string(std::llround(v * r)));
  }
  return out;
}

status_or<sim::cost_model> load_cost(const sim_flags& f) {
  if (f.cost == "unit") return sim::cost_model::unit(1.0 / f.resolution);
  if (f.resolution != 1) return status(error_code::invalid_argument, "--resolution needs --cost unit");
  auto m = sim::cost_model::load(f.cost);
  if (m.ok() && !f.save_cost.empty())
    if (status s = m->save(f.save_cost); !s.ok()) return s;
  return m;
}

sim::sim_config config_for(const sim_flags& f, const run_spec& run, int bins, int executors, const workload& w) {
  sim::sim_config c;
  c.policy.kind = run.policy;
  c.policy.variable_batch = run.vbs;
  c.policy.cap_batches = run.fcr;
  c.policy.rebin = run.rebin;
  c.policy.batch_size = f.batch;
  c.policy.bins = bins;
  c.policy.bin_width = f.bin_width * f.resolution;
  // As `binserve-bench bench`: --max-batch bounds the continuous policies; VBS gets 256.
  c.policy.max_batch_size = sched::is_continuous(run.policy) ? f.max_batch : std::max(256, f.batch);
  c.policy.max_wait = std::chrono::milliseconds(f.max_wait_ms);
  c.policy.retry = f.retry;
  c.policy.max_wait_steps = f.max_wait_steps;
  c.policy.max_preemptions = f.max_preemptions;
  c.policy.kv_reserve = f.kv_reserve;
  c.kv_blocks = f.kv_blocks;
  for (const example& e : w.requests) c.policy.length_sample.push_back(run.hint() ? e.hint : e.length);
  c.predictor = f.predictor;
  if (run.label.find(':') != std::string::npos) {  // the run names its predictor
    c.predictor.kind = run.predictor_kind();
    c.predictor.quantile = run.quantile;
  }
  c.known_is_hint = run.hint();
  c.predictor.fixed_length = f.predictor.fixed_length * f.resolution;
  c.max_new_tokens = f.workload.cap;
  c.executors = executors;
  return c;
}

nlohmann::json row_of(const sim::sim_result& r) {
  const stats& s = r.snapshot;
  nlohmann::json row{{"completed", s.completed},       {"elapsed_s", s.elapsed_s}, {"throughput", s.requests_per_s},
                     {"tokens_per_s", s.tokens_per_s}, {"retries", s.retries},     {"queue_p50_ms", s.queue.p50},
                     {"queue_p99_ms", s.queue.p99}};
  add_figures(row, figures_of(s));
  return row;
}

// The requests as --arrivals gives them (rate-1 Poisson arrivals for a
// --rates sweep), and with --max-rate at rate 1 for the search.
struct sweep_workloads {
  workload main;
  std::optional<workload> unit_rate;
};

status_or<sweep_workloads> load_workloads(workload_options o, bool rates, bool max_rate) {
  if (rates) o.arrivals = "poisson:1";
  auto w = load_workload(o);
  if (!w.ok()) return w.error();
  sweep_workloads out{std::move(*w), std::nullopt};
  if (!max_rate || o.arrivals == "poisson:1") {
    if (max_rate) out.unit_rate = out.main;
    return out;
  }
  o.arrivals = "poisson:1";  // the same lengths: they are drawn apart from the arrivals
  auto unit = load_workload(o);
  if (!unit.ok()) return unit.error();
  out.unit_rate = std::move(*unit);
  return out;
}

// One row: the simulation, and with --max-rate the search for λ*.
status_or<nlohmann::json> run_row(const sim_flags& f, const sim::sim_config& c, const sim::cost_model& cost,
                                  const workload& w, const std::optional<workload>& unit_rate) {
  auto r = sim::simulate(c, cost, w);
  if (!r.ok()) return r.error();
  nlohmann::json row = row_of(*r);
  if (!unit_rate) return row;
  sim::max_rate_options o;
  o.tolerance = f.tolerance;
  o.start_rate = r->snapshot.requests_per_s > 0 ? r->snapshot.requests_per_s : 1.0;
  auto lambda = sim::max_sustainable_rate(c, cost, *unit_rate, o);
  if (!lambda.ok()) return lambda.error();
  row["max_rate"] = lambda->rate;
  return row;
}

// The workload at rate `rate` (> 0) from unit-rate arrivals, else as loaded.
workload at_rate(const workload& w, double rate) {
  workload out = w;
  if (rate > 0)
    for (double& t : out.arrival_s) t /= rate;
  return out;
}

void add_ratios(nlohmann::json& rows) {
  for (auto& row : rows) {
    for (const auto& base : rows) {
      if (base["policy"] != row["policy"] || base["rate"] != row["rate"] || !base["baseline"]) continue;
      const double t = base["throughput"];
      row["ratio_to_1"] = t > 0 ? row["throughput"].get<double>() / t : 0.0;
      if (row.contains("max_rate"))
        row["max_rate_ratio_to_1"] = row["max_rate"].get<double>() / base["max_rate"].get<double>();
    }
  }
  for (auto& row : rows) row.erase("baseline");
}

void print_rows(const nlohmann::json& rows) {
  std::printf("%-16s %5s %9s %10s %12s %8s %8s %9s %12s %10s\n", "policy", "bins", "executors", "rate", "throughput",
              "ratio", "eff.tok", "failures", "p50 ms", "max rate");
  for (const auto& r : rows)
    std::printf("%-16s %5d %9d %10.3f %12.4f %8.4f %8.3f %9.3f %12.1f %10.4f\n", r["policy"].get<std::string>().c_str(),
                r["bins"].get<int>(), r["executors"].get<int>(), r["rate"].get<double>(), r["throughput"].get<double>(),
                r["ratio_to_1"].get<double>(), r["effective_token_ratio"].get<double>(),
                r["failure_ratio"].get<double>(), r["latency_p50_ms"].get<double>(), r.value("max_rate", 0.0));
}

status_or<nlohmann::json> sweep(const sim_flags& f, const sim::cost_model& cost, const sweep_workloads& w) {
  nlohmann::json rows = nlohmann::json::array();
  const std::vector<double> rates = f.rates.empty() ? std::vector<double>{0.0} : f.rates;
  for (const std::string& spec : f.policies) {
    auto run = parse_run(spec);
    if (!run.ok()) return run.error();
    if (run->hint() && (w.main.requests.empty() || w.main.requests.front().hint == 0))
      return status(error_code::invalid_argument, "run '" + spec + "': the hint predictor needs --hint-field");
    for (int e : f.executors)
      for (double rate : rates)
        for (int k : f.bins) {
          const workload at = at_rate(w.main, rate);
          auto row = run_row(f, config_for(f, *run, k, e, at), cost, at, w.unit_rate);
          if (!row.ok()) return row.error();
          (*row)["policy"] = spec, (*row)["bins"] = k, (*row)["executors"] = e, (*row)["rate"] = rate;
          (*row)["baseline"] = k == f.bins.front() && e == f.executors.front();
          rows.push_back(std::move(*row));
        }
  }
  add_ratios(rows);
  return rows;
}

int run_sim(sim_flags f) {
  auto source = scale_source(f.workload.source, f.resolution);
  if (!source.ok()) return report(source.error());
  f.workload.source = *source;
  f.workload.cap *= f.resolution;
  f.workload.served_model = f.workload.length_model;
  auto cost = load_cost(f);
  if (!cost.ok()) return report(cost.error());
  // Rate sweeps and the λ* search scale the arrivals of a rate-1 process.
  auto w = load_workloads(f.workload, !f.rates.empty(), f.max_rate);
  if (!w.ok()) return report(w.error());
  auto rows = sweep(f, *cost, *w);
  if (!rows.ok()) return report(rows.error());
  if (f.json)
    std::cout << nlohmann::json{{"cost", nlohmann::json::parse(cost->to_json())},
                                {"resolution", f.resolution},
                                {"results", *rows}}
                     .dump()
              << "\n";
  else
    print_rows(*rows);
  return 0;
}

void add_workload_options(CLI::App* cmd, sim_flags& f) {
  cmd->add_option("--lengths", f.workload.source,
                  "length source: const:N, uniform:A:B, exponential:MEAN, TRACE.json, TRACE.csv, DATASET")
      ->required();
  cmd->add_option("--length-field", f.workload.length_field, "JSON trace: the record's length field")
      ->capture_default_str();
  cmd->add_option("--hint-field", f.workload.hint_field,
                  "JSON trace: a second length field the `hint` predictor reads (e.g. L_t0.7)");
  cmd->add_option("--length-model", f.workload.length_model, "dataset: the model whose tokenizer counts lengths");
  cmd->add_option("--requests", f.workload.requests, "requests")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--seed", f.workload.seed, "seed of lengths and arrivals")->capture_default_str();
  cmd->add_option("--arrivals", f.workload.arrivals, "offline, poisson:RATE or trace[:SCALE]")->capture_default_str();
  cmd->add_option("--rates", f.rates, "sweep Poisson arrival rates (requests/s)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  cmd->add_option("--cap", f.workload.cap, "max new tokens (lengths clamped to it)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--resolution", f.resolution, "unit cost: token grid R times finer (see docs/reproduction.md)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

void add_policy_options(CLI::App* cmd, sim_flags& f) {
  cmd->add_option("--policies", f.policies, "runs as in bench: POLICY[+novbs][+nofcr][+rebin][:PREDICTOR[:QUANTILE]]")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--bins", f.bins, "multibin: sweep bin counts")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--executors", f.executors, "sweep executor counts")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--batch", f.batch, "batch size B")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-batch", f.max_batch, "continuous: live sequences at once")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--bin-width", f.bin_width, "sequence: bin width")->capture_default_str();
  cmd->add_option("--max-wait-ms", f.max_wait_ms, "after this, an idle executor may take a bin's partial batch")
      ->capture_default_str();
  add_enum_option(*cmd, "--retry", f.retry, "overflowed jobs: restart or resume");
  cmd->add_option("--max-wait-steps", f.max_wait_steps,
                  "continuous: a request waiting this many steps goes first in its class (0: no guard)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-preemptions", f.max_preemptions, "continuous-srpt: the most times one request is preempted")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  add_enum_option(*cmd, "--kv-admission", f.kv_reserve,
                  "continuous: KV blocks reserved for prompt + max (max) or prompt + predicted length");
  cmd->add_option("--kv-blocks", f.kv_blocks,
                  "continuous: each executor's KV cache in 16-position blocks (0: unbounded)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--predictor", f.predictor.kind, "oracle, fixed, prompt-ratio or learned")->capture_default_str();
  cmd->add_option("--quantile", f.predictor.quantile, "learned: the quantile predicted")->capture_default_str();
  cmd->add_option("--predictor-model", f.predictor.model_file, "learned: a trained model file");
  cmd->add_option("--fixed-length", f.predictor.fixed_length, "fixed: the length predicted")->capture_default_str();
}

}  // namespace

void add_sim_command(CLI::App& app) {
  auto f = std::make_shared<sim_flags>();
  CLI::App* cmd = app.add_subcommand("sim", "discrete-event simulation of the scheduler over a sweep");
  add_workload_options(cmd, *f);
  add_policy_options(cmd, *f);
  cmd->add_option("--cost", f->cost,
                  "unit, or a FILE: a saved cost model, bench-engine --json, or a step trace (bench --step-trace)")
      ->capture_default_str();
  cmd->add_option("--save-cost", f->save_cost, "write the (fitted) cost model here");
  cmd->add_flag("--max-rate", f->max_rate, "also find each row's maximum sustainable Poisson rate (sim/max_rate.hpp)");
  cmd->add_option("--tolerance", f->tolerance, "--max-rate: backlog growth allowed per arrival")->capture_default_str();
  cmd->add_flag("--json", f->json, "print one JSON object");
  cmd->callback([f] {
    if (int rc = run_sim(*f); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace binserve::tools
