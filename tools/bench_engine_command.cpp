// binserve bench-engine: decode throughput of a backend against batch size.
//
// For each batch size B: open B sequences, prefill each with `context`
// random tokens, run `warmup` decode steps, then time `steps` decode steps.
// tokens/s = B / (mean step time).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>

#include <nlohmann/json.hpp>

#include "tools/commands.hpp"
#include "tools/model_options.hpp"

namespace binserve::tools {

namespace {

struct bench_flags {
  model_flags model;
  std::vector<int> batches = {1, 4, 16, 64};
  int context = 128;
  int steps = 32;
  int warmup = 2;
  bool json = false;
};

// Mean decode-step time (ms) of `batch` sequences holding `context` tokens.
status_or<double> time_decode(backend& b, const bench_flags& f, int batch) {
  const int vocab = b.served_model().config.vocab_size;
  std::mt19937 rng(1234);
  std::vector<std::vector<int>> prompts(batch, std::vector<int>(f.context));
  for (auto& p : prompts)
    for (int& t : p) t = static_cast<int>(rng() % vocab);
  std::vector<int> seqs;
  std::vector<sequence_chunk> chunks;
  auto close_all = [&] { for (int s : seqs) b.close_sequence(s); };
  for (const auto& p : prompts) {
    auto seq = b.open_sequence(f.context + f.warmup + f.steps);
    if (!seq.ok()) return close_all(), seq.error();
    seqs.push_back(*seq);
    chunks.push_back({*seq, p});
  }
  status s = b.forward(chunks);
  std::vector<int> next(batch);
  for (int i = 0; i < batch && s.ok(); ++i) next[i] = static_cast<int>(rng() % vocab);
  for (int i = 0; i < batch; ++i) chunks[i] = {seqs[i], std::span<const int>(&next[i], 1)};
  std::chrono::steady_clock::time_point start;
  for (int step = 0; step < f.warmup + f.steps && s.ok(); ++step) {
    if (step == f.warmup) start = std::chrono::steady_clock::now();
    s = b.forward(chunks);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  close_all();
  if (!s.ok()) return s;
  return std::chrono::duration<double, std::milli>(elapsed).count() / f.steps;
}

int run_bench(bench_flags f) {
  auto m = f.model.load();
  if (!m) return 1;
  const int max_batch = *std::max_element(f.batches.begin(), f.batches.end());
  const int positions = f.context + f.warmup + f.steps;
  if (positions > m->config.n_ctx)
    return report(status(error_code::invalid_argument,
                         "context + steps = " + std::to_string(positions) +
                             " exceeds the model's n_ctx " + std::to_string(m->config.n_ctx)));
  // A KV cache with room for the largest batch, one block of slack each.
  const int bs = f.model.backend.kv_block_size;
  const std::int64_t per_token = std::int64_t(2) * m->config.n_layers * m->config.kv_dim() * 4;
  f.model.backend.kv_cache_bytes = per_token * bs * ((positions + bs - 1) / bs + 1) * max_batch;
  auto b = make_backend(m, f.model.backend);
  if (!b.ok()) return report(b.error());

  nlohmann::json results = nlohmann::json::array();
  if (!f.json) std::printf("%-8s %12s %12s\n", "batch", "step_ms", "tokens/s");
  for (int batch : f.batches) {
    auto ms = time_decode(**b, f, batch);
    if (!ms.ok()) return report(ms.error());
    const double tps = batch * 1000.0 / *ms;
    results.push_back(nlohmann::json{{"batch", batch}, {"step_ms", *ms}, {"tokens_per_s", tps}});
    if (!f.json) std::printf("%-8d %12.3f %12.1f\n", batch, *ms, tps);
  }
  if (f.json)
    std::cout << nlohmann::json{{"model", f.model.model}, {"context", f.context}, {"steps", f.steps},
                                {"results", results}}.dump()
              << "\n";
  return 0;
}

}  // namespace

void add_bench_engine_command(CLI::App& app) {
  auto f = std::make_shared<bench_flags>();
  CLI::App* cmd = app.add_subcommand("bench-engine", "measure decode tokens/s against batch size");
  f->model.add_to(*cmd);
  cmd->add_option("--batch", f->batches, "batch sizes")->delimiter(',')->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--context", f->context, "tokens in each sequence's cache before timing")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--steps", f->steps, "decode steps timed")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", f->json, "print one JSON object");
  cmd->callback([f] {
    if (int rc = run_bench(*f); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace binserve::tools
