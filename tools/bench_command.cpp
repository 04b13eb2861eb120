// binserve bench: replays a workload through the service under several
// scheduling policies and predictor settings, all requests at once, and
// prints one row per run (same workload, same seed, one after another).
//
// A run is POLICY[:PREDICTOR[:QUANTILE]]: `vanilla`, `sequence:oracle`,
// `sequence:learned:0.9`. Each request asks for exactly its workload length
// (target_length, the way serving benchmarks replay traces on dummy
// weights); `oracle` is told that length, `learned` is trained on the
// workload's training part first (dataset workloads) and keeps learning
// online from completions.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "binserve/service.hpp"
#include "predict/learned_predictor.hpp"
#include "sim/workload.hpp"
#include "tools/commands.hpp"
#include "tools/model_options.hpp"

namespace binserve::tools {

namespace {

struct bench_flags {
  std::string model = "dummy:stories15m";
  workload_options workload;
  std::vector<std::string> runs = {"vanilla", "multibin", "sequence", "continuous",
                                   "continuous-sjf"};
  int batch = 16;
  int bins = 4;
  int max_batch = 16;  // continuous: live sequences at once (vanilla's concurrency)
  int threads = 0;
  std::string backend = "cpu";
  std::string retry = "restart";
  bool json = false;
};

struct run_spec {
  std::string label, policy, predictor = "oracle";
  double quantile = 0.8;
};

status_or<run_spec> parse_run(const std::string& s) {
  run_spec r{s, s.substr(0, s.find(':'))};
  if (s.find(':') == std::string::npos) return r;
  const std::string rest = s.substr(s.find(':') + 1);
  r.predictor = rest.substr(0, rest.find(':'));
  if (rest.find(':') != std::string::npos) {
    char* end = nullptr;
    r.quantile = std::strtod(rest.c_str() + rest.find(':') + 1, &end);
    if (*end != '\0' || !(r.quantile > 0 && r.quantile < 1))
      return status(error_code::invalid_argument, "run '" + s + "': the quantile must be in (0, 1)");
  }
  return r;
}

// A learned predictor trained on the workload's training part, saved where
// the service can load it.
status_or<std::string> train_learned(const workload& w, double quantile) {
  if (w.train.empty())
    return status(error_code::invalid_argument, "a learned predictor needs a prompt dataset workload");
  quantile_regressor_options o;
  o.quantile = quantile;
  learned_predictor p(o, false);
  p.train(w.train, 5, 1);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("binserve_bench_learned_" + std::to_string(quantile) + ".bsqr"))
                               .string();
  if (status s = p.save(path); !s.ok()) return s;
  return path;
}

status_or<service_config> config_for(const bench_flags& f, const run_spec& r, const workload& w) {
  service_config c;
  c.model = f.model;
  c.backend = f.backend;
  c.threads = f.threads;
  c.policy.kind = r.policy;
  c.policy.batch_size = f.batch;
  c.policy.bins = f.bins;
  c.policy.retry = f.retry;
  for (const example& e : w.requests) c.policy.length_sample.push_back(e.length);
  c.policy.max_batch_size = r.policy.rfind("continuous", 0) == 0 ? f.max_batch : 256;
  c.limits.max_new_tokens = f.workload.cap;
  c.limits.queue_capacity = static_cast<int>(w.requests.size());
  c.predictor.kind = r.predictor;
  c.predictor.quantile = r.quantile;
  if (r.predictor == "learned") {
    auto path = train_learned(w, r.quantile);
    if (!path.ok()) return path.error();
    c.predictor.model_file = *path;
  }
  return c;
}

status_or<nlohmann::json> run_one(const bench_flags& f, const run_spec& r, const workload& w) {
  auto config = config_for(f, r, w);
  if (!config.ok()) return config.error();
  auto svc = service::start(*config);
  if (!svc.ok()) return svc.error();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<submission> subs;
  for (const example& e : w.requests) {
    request q;
    q.prompt = e.prompt;
    q.prompt_ids = e.prompt_ids;
    q.max_new_tokens = f.workload.cap;
    q.target_length = q.known_length = e.length;
    subs.push_back((*svc)->submit(q));
  }
  int completed = 0;
  for (auto& s : subs) completed += s.future.get().ok() ? 1 : 0;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const stats st = (*svc)->current_stats();
  return nlohmann::json{{"policy", r.label}, {"requests", w.requests.size()}, {"completed", completed},
                        {"seconds", seconds}, {"requests_per_s", completed / seconds},
                        {"tokens_per_s", st.generated_tokens / seconds},
                        {"effective_token_ratio", st.effective_token_ratio},
                        {"failure_ratio", st.failure_ratio}, {"latency_p50_ms", st.latency.p50},
                        {"latency_p99_ms", st.latency.p99}};
}

void print_row(const nlohmann::json& row) {
  std::printf("%-22s %9.3f %10.1f %10.2f %8.3f %9.3f %9.0f\n", row["policy"].get<std::string>().c_str(),
              row["requests_per_s"].get<double>(), row["tokens_per_s"].get<double>(),
              row["ratio_to_vanilla"].get<double>(), row["effective_token_ratio"].get<double>(),
              row["failure_ratio"].get<double>(), row["latency_p50_ms"].get<double>());
}

int run_bench(bench_flags f) {
  f.workload.served_model = f.model;
  auto w = load_workload(f.workload);
  if (!w.ok()) return report(w.error());
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& spec : f.runs) {
    auto r = parse_run(spec);
    if (!r.ok()) return report(r.error());
    auto row = run_one(f, *r, *w);
    if (!row.ok()) return report(row.error());
    rows.push_back(*row);
  }
  double vanilla = 0;
  for (const auto& row : rows)
    if (row["policy"] == "vanilla") vanilla = row["requests_per_s"];
  if (!f.json)
    std::printf("%-22s %9s %10s %10s %8s %9s %9s\n", "run", "req/s", "tokens/s", "x vanilla",
                "eff.tok", "failures", "p50 ms");
  for (auto& row : rows) {
    row["ratio_to_vanilla"] = vanilla > 0 ? row["requests_per_s"].get<double>() / vanilla : 0.0;
    if (!f.json) print_row(row);
  }
  if (f.json) std::cout << nlohmann::json{{"model", f.model}, {"results", rows}}.dump() << "\n";
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto f = std::make_shared<bench_flags>();
  CLI::App* cmd = app.add_subcommand("bench", "replay a workload under several policies");
  cmd->add_option("--model", f->model, "model path or dummy:PRESET")->capture_default_str();
  cmd->add_option("--backend", f->backend, "cpu, cuda or null")->capture_default_str();
  cmd->add_option("--threads", f->threads, "CPU threads per executor (0: every core)");
  cmd->add_option("--workload", f->workload.source,
                  "length trace (JSON), prompt dataset (alpaca JSON / JSONL) or const:N")->required();
  cmd->add_option("--length-field", f->workload.length_field, "trace: the record's length field")
      ->capture_default_str();
  cmd->add_option("--length-model", f->workload.length_model,
                  "dataset: the model whose tokenizer counts response lengths");
  cmd->add_option("--test-fraction", f->workload.test_fraction,
                  "dataset: share replayed (the rest trains learned predictors)")->capture_default_str();
  cmd->add_option("--policies", f->runs, "runs: POLICY[:PREDICTOR[:QUANTILE]]")->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--requests", f->workload.requests, "trace/const: requests, submitted at once")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--batch", f->batch, "batch size B")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--cap", f->workload.cap, "max new tokens (vanilla's cap)")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--bins", f->bins, "multibin: bins")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-batch", f->max_batch, "continuous: live sequences at once")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--retry", f->retry, "overflowed jobs: restart or resume")->capture_default_str();
  cmd->add_flag("--json", f->json, "print one JSON object");
  cmd->callback([f] {
    if (int rc = run_bench(*f); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace binserve::tools
