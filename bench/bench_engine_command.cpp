// binserve-bench bench-engine: decode throughput of a backend against batch size.
//
// For each context C (--context, or each of --contexts) and batch size B:
// open B sequences, prefill each with C random tokens (timed: prefill_ms),
// run `warmup` decode steps, then time `steps` decode steps, each to its
// synchronize() (a server reads each step's logits before the next).
// tokens/s = B / (mean step time); step_ms_p50, the median step, is what a
// step costs when the host does not take a thread away (a shared 2-core VM
// stalls one step in ten for a scheduler tick: docs/benchmarks.md). `binserve-bench sim --cost` fits its step-cost
// model to this JSON (sim/cost_model.hpp).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>

#include <nlohmann/json.hpp>

#include "bench/commands.hpp"
#include "binserve/names.hpp"
#include "tools/model_options.hpp"

namespace binserve::tools {

namespace {

struct bench_flags {
  model_flags model;
  std::vector<int> batches = {1, 4, 16, 64};
  int context = 128;
  std::vector<int> contexts;  // a sweep; empty: {context}
  int steps = 32;
  int warmup = 2;
  bool json = false;
  double bandwidth = 0;  // bytes/s the backend measured; 0: no roofline column
};

// The memory roofline of a decode step: the bytes it must read (every weight
// at the backend's dtype, and the K/V of `batch` sequences at their mean
// length over the timed steps) over the measured device bandwidth.
double roofline_ms(const backend& b, const bench_flags& f, int batch, int context) {
  const model_config& c = b.served_model().config;
  const std::int64_t element = b.kv().layout().bytes_per_token / (std::int64_t(2) * c.n_layers * c.kv_dim());
  const double kv_positions = context + f.warmup + f.steps / 2.0;
  const double bytes = double(c.n_params()) * element + batch * kv_positions * b.kv().layout().bytes_per_token;
  return bytes / f.bandwidth * 1e3;
}

struct step_times {
  double prefill_ms = 0;   // the one forward prefilling every sequence
  double step_ms = 0;      // mean decode step
  double step_ms_p50 = 0;  // median decode step
};

// Step times of `batch` sequences holding `context` tokens.
status_or<step_times> time_decode(backend& b, const bench_flags& f, int batch, int context) {
  const int vocab = b.served_model().config.vocab_size;
  std::mt19937 rng(1234);
  std::vector<std::vector<int>> prompts(batch, std::vector<int>(context));
  for (auto& p : prompts)
    for (int& t : p) t = static_cast<int>(rng() % vocab);
  std::vector<int> seqs;
  std::vector<sequence_chunk> chunks;
  auto close_all = [&] {
    for (int s : seqs) b.close_sequence(s);
  };
  for (const auto& p : prompts) {
    auto seq = b.open_sequence(context + f.warmup + f.steps);
    if (!seq.ok()) return close_all(), seq.error();
    seqs.push_back(*seq);
    chunks.push_back({*seq, p});
  }
  const auto prefill_start = std::chrono::steady_clock::now();
  status s = b.forward(chunks);
  if (s.ok()) s = b.synchronize();  // a device runs forward asynchronously
  const std::chrono::duration<double, std::milli> prefill = std::chrono::steady_clock::now() - prefill_start;
  std::vector<int> next(batch);
  for (int i = 0; i < batch && s.ok(); ++i) next[i] = static_cast<int>(rng() % vocab);
  for (int i = 0; i < batch; ++i) chunks[i] = {seqs[i], std::span<const int>(&next[i], 1)};
  std::vector<double> step_ms;
  for (int step = 0; step < f.warmup + f.steps && s.ok(); ++step) {
    const auto start = std::chrono::steady_clock::now();
    s = b.forward(chunks);
    if (s.ok()) s = b.synchronize();
    if (step >= f.warmup)
      step_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  close_all();
  if (!s.ok()) return s;
  double total = 0;
  for (double ms : step_ms) total += ms;
  std::nth_element(step_ms.begin(), step_ms.begin() + step_ms.size() / 2, step_ms.end());
  return step_times{prefill.count(), total / f.steps, step_ms[step_ms.size() / 2]};
}

// One row per (context, batch); prints the table unless --json.
status_or<nlohmann::json> bench_rows(backend& b, const bench_flags& f) {
  nlohmann::json results = nlohmann::json::array();
  if (!f.json)
    std::printf("%-8s %8s %12s %12s %12s %12s\n", "batch", "context", "step_ms", "p50_ms", "tokens/s", "prefill_ms");
  for (int context : f.contexts)
    for (int batch : f.batches) {
      auto t = time_decode(b, f, batch, context);
      if (!t.ok()) return t.error();
      const double tps = batch * 1000.0 / t->step_ms;
      results.push_back(nlohmann::json{{"batch", batch},
                                       {"context", context},
                                       {"step_ms", t->step_ms},
                                       {"step_ms_p50", t->step_ms_p50},
                                       {"tokens_per_s", tps},
                                       {"prefill_ms", t->prefill_ms}});
      if (!f.json)
        std::printf("%-8d %8d %12.3f %12.3f %12.1f %12.3f", batch, context, t->step_ms, t->step_ms_p50, tps,
                    t->prefill_ms);
      if (f.bandwidth > 0) {  // measured / roofline
        const double roof = roofline_ms(b, f, batch, context);
        results.back()["roofline_ms"] = roof;
        results.back()["vs_roofline"] = t->step_ms / roof;
        if (!f.json) std::printf("   roofline_ms %.3f  x%.2f", roof, t->step_ms / roof);
      }
      if (!f.json) std::printf("\n");
    }
  return results;
}

int run_bench(bench_flags f) {
  auto m = f.model.load();
  if (!m) return 1;
  if (f.contexts.empty()) f.contexts = {f.context};
  const int max_batch = *std::max_element(f.batches.begin(), f.batches.end());
  const int positions = *std::max_element(f.contexts.begin(), f.contexts.end()) + f.warmup + f.steps;
  if (positions > m->config.n_ctx)
    return report(status(error_code::invalid_argument, "context + steps = " + std::to_string(positions) +
                                                           " exceeds the model's n_ctx " +
                                                           std::to_string(m->config.n_ctx)));
  // A KV cache with room for the largest batch, one block of slack each.
  const int bs = f.model.backend.kv_block_size;
  const int element = f.model.backend.dtype == data_type::fp32 ? 4 : 2;
  const std::int64_t per_token = std::int64_t(2) * m->config.n_layers * m->config.kv_dim() * element;
  f.model.backend.kv_cache_bytes = per_token * bs * ((positions + bs - 1) / bs + 1) * max_batch;
  auto b = make_backend(m, f.model.backend);
  if (!b.ok()) return report(b.error());
  if (auto bw = (*b)->measure_memory_bandwidth(); bw.ok()) f.bandwidth = *bw;
  auto results = bench_rows(**b, f);
  if (!results.ok()) return report(results.error());
  if (f.json)
    std::cout << nlohmann::json{{"model", f.model.model},
                                {"context", f.contexts.front()},
                                {"steps", f.steps},
                                {"warmup", f.warmup},
                                {"dtype", name_of(f.model.backend.dtype)},
                                {"bandwidth_bytes_per_s", f.bandwidth},
                                {"results", *results}}
                     .dump()
              << "\n";
  return 0;
}

}  // namespace

void add_bench_engine_command(CLI::App& app) {
  auto f = std::make_shared<bench_flags>();
  CLI::App* cmd = app.add_subcommand("bench-engine", "measure decode tokens/s against batch size");
  f->model.add_to(*cmd);
  cmd->add_option("--batch", f->batches, "batch sizes")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--context", f->context, "tokens in each sequence's cache before timing")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--contexts", f->contexts, "a sweep of contexts (overrides --context)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  cmd->add_option("--steps", f->steps, "decode steps timed")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_flag("--json", f->json, "print one JSON object");
  cmd->callback([f] {
    if (int rc = run_bench(*f); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace binserve::tools
