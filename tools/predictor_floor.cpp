// binserve predictor floor: what no predictor can beat while a sequence
// decodes. The per-prompt floor (the best constant per prompt) bounds
// prompt-only predictors at admission; once tokens are made, the future
// depends only on the prefix and the sampler's draws, so the best any
// predictor can do at step s is the median remaining length given the
// prefix. For each of --prompts test prompts of --data (its held-out split)
// this tells one trunk story (seeded), and at each of its refresh points
// (0, R, 2R, ...) --branches more continuations of that very prefix with
// other seeds. Two estimates of the prefix floor bracket it: the MAE of the
// branches' median against the trunk's own remaining length errs high (the
// median of a few branches is itself noisy), the mean distance of trunk and
// branches to their own median errs low (that median is fitted to them).
// Beside them, on the same points, the step-only baseline fitted to the
// training split's lengths.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "gpu/generate.hpp"
#include "gpu/tokenizer.hpp"
#include "tools/predictor_parts.hpp"

namespace binserve::tools {

namespace {

struct floor_flags {
  model_flags model;
  std::string data;
  sampling_params sampling{0.8f, 0.9f, 1};
  int prompts = 100, branches = 8, refresh_tokens = 16, max_new_tokens = 512;
  double test_fraction = 0.2;
  bool json = false;
};

// A refresh point: the trunk's remaining length, the branches' median, the
// mean distance of trunk and branches to their median, the step baseline's.
struct point {
  int step, truth, branch_median;
  double spread;
  int step_median;
};

// The step baseline: the median of (length - s) over training lengths >= s.
int step_median(const std::vector<int>& train_lengths, int s) {
  std::vector<int> left;
  for (int l : train_lengths)
    if (l >= s) left.push_back(l - s);
  return left.empty() ? 0 : median(left);
}

// The trunk of prompt `ids` and the branches at each of its refresh points.
status_or<std::vector<point>> branch_points(backend& b, const floor_flags& f, const std::vector<int>& ids,
                                            std::uint64_t seed, const std::vector<int>& train_lengths) {
  generation_request trunk;
  trunk.prompt_ids = ids;
  trunk.sampling = f.sampling;
  trunk.sampling.seed = seed;
  trunk.max_new_tokens = f.max_new_tokens;
  auto t = generate_batch(b, {trunk});
  if (!t.ok()) return t.error();
  const std::vector<int>& made = t->front().generated_ids;
  const int length = static_cast<int>(made.size());
  const int last = t->front().reason == stop_reason::stop_token ? length : length - 1;
  std::vector<generation_request> branches;
  std::vector<int> steps;
  for (int s = 0; s <= last; s += f.refresh_tokens) {
    steps.push_back(s);
    for (int k = 0; k < f.branches; ++k) {
      generation_request r = trunk;
      r.prompt_ids.insert(r.prompt_ids.end(), made.begin(), made.begin() + s);
      r.max_new_tokens = f.max_new_tokens - s;
      r.sampling.seed = seed * 1000003 + s * 131 + k + 1;
      if (r.max_new_tokens > 0) branches.push_back(std::move(r));
    }
  }
  auto out = generate_batch(b, branches);
  if (!out.ok()) return out.error();
  std::vector<point> points;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    std::vector<int> left;
    for (int k = 0; k < f.branches && i * f.branches + k < out->size(); ++k)
      left.push_back(static_cast<int>((*out)[i * f.branches + k].generated_ids.size()));
    if (left.empty()) continue;
    const int truth = length - steps[i], branch_median = median(left);
    left.push_back(truth);
    const int all_median = median(left);
    double spread = 0;
    for (int r : left) spread += std::abs(r - all_median);
    points.push_back({steps[i], truth, branch_median, spread / left.size(), step_median(train_lengths, steps[i])});
  }
  return points;
}

struct bucket {
  int n = 0;
  double high = 0, low = 0, step = 0;
  void add(const point& p) {
    ++n;
    high += std::abs(p.branch_median - p.truth);
    low += p.spread;
    step += std::abs(p.step_median - p.truth);
  }
  nlohmann::json to_json() const {
    const double d = std::max(1, n);
    return {{"n", n}, {"mae_floor_high", high / d}, {"mae_floor_low", low / d}, {"mae_step", step / d}};
  }
};

int run_floor(const floor_flags& f) {
  auto m = f.model.load();
  if (!m) return 1;
  auto split = load_split(*m, f.data, f.test_fraction);
  if (!split.ok()) return report(split.error());
  std::vector<int> train_lengths;
  for (const example& e : split->train) train_lengths.push_back(e.length);
  auto b = make_backend(m, f.model.backend);
  if (!b.ok()) return report(b.error());
  std::map<std::string, bucket> buckets;
  std::set<std::string> seen;
  int done = 0;
  for (const example& e : split->test) {
    if (done == f.prompts) break;
    if (!seen.insert(e.prompt).second) continue;
    auto points = branch_points(**b, f, e.prompt_ids, f.sampling.seed + done, train_lengths);
    if (!points.ok()) return report(points.error());
    for (const point& p : *points) {
      buckets["all"].add(p);
      if (p.step == 0 || p.step == 16 || p.step == 32 || p.step == 64) buckets[std::to_string(p.step)].add(p);
      if (p.truth < 64) buckets["last64"].add(p);
    }
    std::cerr << "floor: " << ++done << "/" << f.prompts << " prompts\r";
  }
  std::cerr << "\n";
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, bk] : buckets) out[name] = bk.to_json();
  if (f.json) {
    std::cout << out.dump() << "\n";
    return 0;
  }
  std::printf("%-8s %6s %16s %10s %16s\n", "points", "n", "floor low-high", "MAE step", "step / floor");
  for (const char* name : {"0", "16", "32", "64", "all", "last64"}) {
    if (!buckets.count(name)) continue;
    const auto j = buckets[name].to_json();
    const double low = j["mae_floor_low"], high = j["mae_floor_high"], step = j["mae_step"];
    std::printf("%-8s %6d %7.1f - %6.1f %10.1f %6.2f - %5.2fx\n", name, j["n"].get<int>(), low, high, step,
                step / std::max(1e-9, high), step / std::max(1e-9, low));
  }
  return 0;
}

}  // namespace

void add_predictor_floor(CLI::App& parent) {
  auto f = std::make_shared<floor_flags>();
  CLI::App* cmd = parent.add_subcommand("floor", "the best any predictor can do at each refresh point");
  f->model.add_to(*cmd);
  cmd->add_option("--data", f->data, "JSONL of the model's own generations (predictor collect)")->required();
  cmd->add_option("--prompts", f->prompts, "held-out prompts to branch from")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--branches", f->branches, "continuations of each prefix")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--refresh-tokens", f->refresh_tokens, "tokens between refresh points")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--temperature", f->sampling.temperature, "the sampler of --data's generations")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--top-p", f->sampling.top_p, "nucleus sampling mass")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--seed", f->sampling.seed, "seed of the first trunk")->capture_default_str();
  cmd->add_option("--max-new-tokens", f->max_new_tokens, "most tokens per answer")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--test-fraction", f->test_fraction, "the split of --data (as eval's)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--json", f->json, "print one JSON object");
  on_run(cmd, f, run_floor);
}

}  // namespace binserve::tools
