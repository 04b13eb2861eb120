// binserve bench: replays a length trace through the service under several
// policies, all requests at once, and prints one row per policy.
//
// Each request asks for exactly its trace length (target_length) and tells
// the oracle predictor that length (known_length): the Sequence Scheduling
// paper's "true lengths" setting. Every policy gets the same workload.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "binserve/service.hpp"
#include "tools/commands.hpp"
#include "tools/model_options.hpp"

namespace binserve::tools {

namespace {

struct bench_flags {
  std::string model = "dummy:stories15m";
  std::string workload;
  std::string length_field = "L_t0.0";
  std::vector<std::string> policies = {"vanilla", "multibin", "sequence", "continuous",
                                       "continuous-sjf"};
  int requests = 1024;
  int batch = 16;
  int cap = 512;
  int bins = 4;
  int max_batch = 16;  // continuous: live sequences at once (vanilla's concurrency)
  int threads = 0;
  std::string backend = "cpu";
  bool json = false;
};

// The first `n` lengths of the trace (cycled), clamped to [1, cap]; or, for
// "const:N", N for every request.
status_or<std::vector<int>> read_lengths(const bench_flags& f) {
  if (f.workload.rfind("const:", 0) == 0) {
    const int n = std::atoi(f.workload.c_str() + 6);
    if (n < 1) return status(error_code::invalid_argument, "const:N needs N >= 1");
    return std::vector<int>(f.requests, std::min(n, f.cap));
  }
  std::ifstream in(f.workload);
  if (!in) return status(error_code::io_error, f.workload + ": cannot open");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_array() || j.empty())
    return status(error_code::invalid_argument, f.workload + ": expected a JSON array of records");
  std::vector<int> out;
  for (int i = 0; i < f.requests; ++i) {
    const auto& rec = j[i % j.size()];
    if (!rec.is_object() || !rec.contains(f.length_field) || !rec[f.length_field].is_number_integer())
      return status(error_code::invalid_argument, f.workload + ": record " + std::to_string(i % j.size()) +
                                                      " has no integer field '" + f.length_field + "'");
    out.push_back(std::clamp(rec[f.length_field].get<int>(), 1, f.cap));
  }
  return out;
}

service_config config_for(const bench_flags& f, const std::string& policy,
                          const std::vector<int>& lengths) {
  service_config c;
  c.model = f.model;
  c.backend = f.backend;
  c.threads = f.threads;
  c.policy.kind = policy;
  c.policy.batch_size = f.batch;
  c.policy.bins = f.bins;
  c.policy.length_sample = lengths;
  c.policy.max_batch_size = policy.rfind("continuous", 0) == 0 ? f.max_batch : 256;
  c.limits.max_new_tokens = f.cap;
  c.limits.queue_capacity = f.requests;
  c.predictor.kind = "oracle";
  return c;
}

status_or<nlohmann::json> run_policy(const bench_flags& f, const std::string& policy,
                                     const std::vector<int>& lengths) {
  auto svc = service::start(config_for(f, policy, lengths));
  if (!svc.ok()) return svc.error();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<submission> subs;
  for (size_t i = 0; i < lengths.size(); ++i) {
    request r;
    r.prompt = "Request " + std::to_string(i) + ":";
    r.max_new_tokens = f.cap;
    r.target_length = r.known_length = lengths[i];
    subs.push_back((*svc)->submit(r));
  }
  int completed = 0;
  for (auto& s : subs) completed += s.future.get().ok() ? 1 : 0;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const stats st = (*svc)->current_stats();
  return nlohmann::json{{"policy", policy},
                        {"requests", lengths.size()},
                        {"completed", completed},
                        {"seconds", seconds},
                        {"requests_per_s", completed / seconds},
                        {"tokens_per_s", st.generated_tokens / seconds},
                        {"effective_token_ratio", st.effective_token_ratio},
                        {"failure_ratio", st.failure_ratio},
                        {"latency_p50_ms", st.latency.p50},
                        {"latency_p99_ms", st.latency.p99}};
}

int run_bench(const bench_flags& f) {
  auto lengths = read_lengths(f);
  if (!lengths.ok()) return report(lengths.error());
  nlohmann::json rows = nlohmann::json::array();
  if (!f.json)
    std::printf("%-16s %9s %10s %10s %8s %9s %9s\n", "policy", "req/s", "tokens/s", "x vanilla",
                "eff.tok", "failures", "p50 ms");
  double vanilla = 0;
  for (const auto& p : f.policies) {
    auto row = run_policy(f, p, *lengths);
    if (!row.ok()) return report(row.error());
    if (p == "vanilla") vanilla = (*row)["requests_per_s"];
    rows.push_back(*row);
  }
  for (auto& row : rows) {
    row["ratio_to_vanilla"] = vanilla > 0 ? row["requests_per_s"].get<double>() / vanilla : 0.0;
    if (!f.json)
      std::printf("%-16s %9.3f %10.1f %10.2f %8.3f %9.3f %9.0f\n",
                  row["policy"].get<std::string>().c_str(), row["requests_per_s"].get<double>(),
                  row["tokens_per_s"].get<double>(), row["ratio_to_vanilla"].get<double>(),
                  row["effective_token_ratio"].get<double>(), row["failure_ratio"].get<double>(),
                  row["latency_p50_ms"].get<double>());
  }
  if (f.json) std::cout << nlohmann::json{{"model", f.model}, {"results", rows}}.dump() << "\n";
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto f = std::make_shared<bench_flags>();
  CLI::App* cmd = app.add_subcommand("bench", "replay a length trace under several policies");
  cmd->add_option("--model", f->model, "model path or dummy:PRESET")->capture_default_str();
  cmd->add_option("--backend", f->backend, "cpu, cuda or null")->capture_default_str();
  cmd->add_option("--threads", f->threads, "CPU threads per executor (0: every core)");
  cmd->add_option("--workload", f->workload,
                  "JSON array of records with a length field, or const:N")->required();
  cmd->add_option("--length-field", f->length_field, "the record field holding the length")
      ->capture_default_str();
  cmd->add_option("--policies", f->policies, "policies to compare")->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--requests", f->requests, "requests, submitted at once")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--batch", f->batch, "batch size B")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--cap", f->cap, "max new tokens (vanilla's cap)")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--bins", f->bins, "multibin: bins")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-batch", f->max_batch, "continuous: live sequences at once")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_flag("--json", f->json, "print one JSON object");
  cmd->callback([f] {
    if (int rc = run_bench(*f); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace binserve::tools
