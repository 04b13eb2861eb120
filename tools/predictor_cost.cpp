// binserve predictor cost: what the probe adds to a decode step. For each
// batch size B, on one backend recording --state-layers and one recording
// nothing (rounds interleaved A B A B, medians): the decode step's time,
// and the time of one probe refresh for each of the B sequences. The probe
// (random weights of the configured width, bins and hidden units: its cost
// does not depend on what it learned) reads the states the step already made,
// so the share is its refresh time over the step time; refreshed every
// --refresh-tokens tokens, that share is divided by them.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>

#include <nlohmann/json.hpp>

#include "predict/probe_predictor.hpp"
#include "tools/model_options.hpp"
#include "tools/predictor_parts.hpp"

namespace binserve::tools {

namespace {

using clock_type = std::chrono::steady_clock;

struct cost_flags {
  model_flags model;
  std::vector<int> state_layers, batches = {1, 16};
  int context = 128, steps = 8, rounds = 3, refresh_tokens = 16;
  probe_options probe;
  bool json = false;
};

double ms_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}

// B sequences of `context` random tokens on b, prefilled; the chunks of their next step.
struct decode_batch {
  std::vector<int> seqs, next;
  std::vector<sequence_chunk> chunks;
};

status_or<decode_batch> open_batch(backend& b, const cost_flags& f, int batch, std::mt19937& rng) {
  const int vocab = b.served_model().config.vocab_size;
  decode_batch d;
  std::vector<std::vector<int>> prompts(batch, std::vector<int>(f.context));
  for (auto& p : prompts) {
    for (int& t : p) t = static_cast<int>(rng() % vocab);
    auto seq = b.open_sequence(f.context + f.rounds * f.steps + 1);
    if (!seq.ok()) return seq.error();
    d.seqs.push_back(*seq);
    d.chunks.push_back({*seq, p});
  }
  if (status s = b.forward(d.chunks); !s.ok()) return s;
  d.next.resize(batch);
  for (int i = 0; i < batch; ++i) {
    d.next[i] = static_cast<int>(rng() % vocab);
    d.chunks[i] = {d.seqs[i], std::span<const int>(&d.next[i], 1)};
  }
  return d;
}

// Mean time of f.steps decode steps.
status_or<double> time_steps(backend& b, const decode_batch& d, const cost_flags& f) {
  const auto start = clock_type::now();
  for (int s = 0; s < f.steps; ++s)
    if (status st = b.forward(d.chunks); !st.ok()) return st;
  if (status st = b.synchronize(); !st.ok()) return st;
  return ms_since(start) / f.steps;
}

// A probe of the configured shape over b's states (labels are arbitrary).
status_or<probe_predictor> random_probe(backend& b, const decode_batch& d, const cost_flags& f) {
  std::vector<probe_example> rows;
  for (std::size_t i = 0; i < d.seqs.size() || rows.size() < 2; ++i) {
    const int chunk = static_cast<int>(i % d.seqs.size());
    rows.push_back({{b.layer_states(chunk), f.context, f.context}, static_cast<int>(i % 17)});
  }
  probe_options o = f.probe;
  o.mlp.epochs = 1;
  return probe_predictor::train(rows, f.state_layers, f.refresh_tokens, o, 1);
}

int run_cost(const cost_flags& f) {
  auto m = f.model.load();
  if (!m) return 1;
  backend_options with = f.model.backend;
  with.state_layers = f.state_layers;
  auto a = make_backend(m, with), plain = make_backend(m, f.model.backend);
  if (!a.ok()) return report(a.error());
  if (!plain.ok()) return report(plain.error());
  nlohmann::json out = nlohmann::json::array();
  std::mt19937 rng(7);
  for (int batch : f.batches) {
    auto da = open_batch(**a, f, batch, rng), dp = open_batch(**plain, f, batch, rng);
    if (!da.ok()) return report(da.error());
    if (!dp.ok()) return report(dp.error());
    auto probe = random_probe(**a, *da, f);
    if (!probe.ok()) return report(probe.error());
    std::vector<double> step_states, step_plain, refresh;
    for (int r = 0; r < f.rounds; ++r) {
      auto ta = time_steps(**a, *da, f), tp = time_steps(**plain, *dp, f);
      if (!ta.ok()) return report(ta.error());
      if (!tp.ok()) return report(tp.error());
      step_states.push_back(*ta);
      step_plain.push_back(*tp);
      const auto start = clock_type::now();
      for (int i = 0; i < batch; ++i) {
        probe_predictor::belief belief;
        probe->refresh(belief, {(*a)->layer_states(i), f.context, f.context});
        probe->refresh(belief, {(*a)->layer_states(i), f.context + f.refresh_tokens, f.context});
      }
      refresh.push_back(ms_since(start) / 2);
    }
    for (int s : da->seqs) (*a)->close_sequence(s);
    for (int s : dp->seqs) (*plain)->close_sequence(s);
    const double step = median(step_plain), probe_ms = median(refresh);
    out.push_back({{"batch", batch},
                   {"step_ms", step},
                   {"step_with_states_ms", median(step_states)},
                   {"probe_refresh_ms", probe_ms},
                   {"probe_share", probe_ms / step},
                   {"probe_share_amortized", probe_ms / step / f.refresh_tokens},
                   {"width", probe->width()}});
  }
  if (f.json) {
    std::cout << out.dump() << "\n";
    return 0;
  }
  std::printf("%6s %10s %16s %14s %8s %14s\n", "batch", "step ms", "step+states ms", "probe ms", "share",
              "share/refresh");
  for (const auto& r : out)
    std::printf("%6d %10.3f %16.3f %14.4f %7.3f%% %13.4f%%\n", r["batch"].get<int>(), r["step_ms"].get<double>(),
                r["step_with_states_ms"].get<double>(), r["probe_refresh_ms"].get<double>(),
                100 * r["probe_share"].get<double>(), 100 * r["probe_share_amortized"].get<double>());
  return 0;
}

}  // namespace

void add_predictor_cost(CLI::App& parent) {
  auto f = std::make_shared<cost_flags>();
  CLI::App* cmd = parent.add_subcommand("cost", "the probe's time per refresh beside a decode step");
  f->model.add_to(*cmd);
  cmd->add_option("--state-layers", f->state_layers, "layers the probe reads")
      ->delimiter(',')
      ->required()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--batch", f->batches, "batch sizes")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--context", f->context, "tokens in each sequence")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--steps", f->steps, "decode steps timed per round")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--rounds", f->rounds, "rounds, interleaved between the two backends")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--refresh-tokens", f->refresh_tokens, "tokens between refreshes")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--probe-bins", f->probe.bins, "classes of remaining length")
      ->capture_default_str()
      ->check(CLI::Range(2, 4096));
  cmd->add_option("--probe-hidden", f->probe.mlp.hidden, "hidden units")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  cmd->add_flag("--json", f->json, "print one JSON array");
  on_run(cmd, f, run_cost);
}

}  // namespace binserve::tools
