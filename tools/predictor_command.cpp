// binserve predictor collect | train | eval: the offline life of a length
// predictor. collect (tools/predictor_collect.cpp) runs the served model over
// prompts and records how long each answer was; train fits a predictor to
// such a dataset; eval scores predictors side by side on the held-out part
// of the same split.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "gpu/tokenizer.hpp"
#include "predict/baseline_predictors.hpp"
#include "predict/dataset.hpp"
#include "predict/embedding_predictor.hpp"
#include "predict/evaluation.hpp"
#include "predict/history_predictor.hpp"
#include "predict/learned_predictor.hpp"
#include "tools/commands.hpp"
#include "tools/model_options.hpp"
#include "tools/predictor_parts.hpp"

namespace binserve::tools {

namespace {

using json = nlohmann::json;
using predictor_ptr = std::unique_ptr<length_predictor>;

struct train_flags {
  model_flags model;
  std::string data, out, kind = "learned", trace;
  fit_flags fit;
};

// ---- training -----------------------------------------------------------------

std::unique_ptr<learned_predictor> train_learned(const std::vector<example>& train, const fit_flags& f) {
  quantile_regressor_options o;
  o.quantile = f.quantile;
  auto p = std::make_unique<learned_predictor>(o, /*online=*/false);
  p->train(train, f.epochs, f.seed);
  return p;
}

status_or<std::unique_ptr<embedding_predictor>> train_embedding(const std::shared_ptr<const model>& m,
                                                                const backend_options& bo,
                                                                const std::vector<example>& train, const fit_flags& f) {
  auto b = make_backend(m, bo);
  if (!b.ok()) return b.error();
  quantile_regressor_options o;
  o.quantile = f.quantile;
  auto p = std::make_unique<embedding_predictor>(std::move(*b), o, /*online=*/false);
  p->train(train, f.epochs, f.seed);
  return p;
}

int run_train(const train_flags& f) {
  auto m = f.model.load();
  if (!m) return 1;
  auto split = load_split(*m, f.data, f.fit.test_fraction);
  if (!split.ok()) return report(split.error());
  std::cerr << "train: " << split->train.size() << " examples (" << split->test.size() << " held out), " << f.kind
            << ", " << f.fit.epochs << " epochs\n";
  status saved;
  if (f.kind == "learned") {
    saved = train_learned(split->train, f.fit)->save(f.out);
  } else if (f.kind == "probe") {
    if (f.trace.empty()) return report(status(error_code::invalid_argument, "--kind probe needs --trace"));
    auto p = train_probe(*m, f.data, f.trace, f.fit);
    if (!p.ok()) return report(p.error());
    saved = p->save(f.out);
  } else {
    auto p = train_embedding(m, f.model.backend, split->train, f.fit);
    if (!p.ok()) return report(p.error());
    saved = (*p)->save(f.out);
  }
  if (!saved.ok()) return report(saved);
  std::cerr << "train: wrote " << f.out << "\n";
  return 0;
}

// ---- eval -----------------------------------------------------------------------

status_or<predictor_ptr> make_learned(const eval_context& c) {
  if (c.f.learned_model.empty()) return predictor_ptr(train_learned(c.split.train, c.f.fit));
  auto p = learned_predictor::load(c.f.learned_model, /*online=*/false);
  if (!p.ok()) return p.error();
  return predictor_ptr(std::move(*p));
}

status_or<predictor_ptr> make_embedding(const eval_context& c) {
  if (c.f.embedding_model.empty()) {
    auto p = train_embedding(c.m, c.f.model.backend, c.split.train, c.f.fit);
    if (!p.ok()) return p.error();
    return predictor_ptr(std::move(*p));
  }
  auto b = make_backend(c.m, c.f.model.backend);
  if (!b.ok()) return b.error();
  auto p = embedding_predictor::load(c.f.embedding_model, std::move(*b), /*online=*/false);
  if (!p.ok()) return p.error();
  return predictor_ptr(std::move(*p));
}

// The training set's prompts are the history a deployment would have seen.
status_or<predictor_ptr> make_history(const eval_context& c) {
  auto fallback = make_learned(c);
  if (!fallback.ok()) return fallback.error();
  auto p = std::make_unique<history_predictor>(std::move(*fallback), predictor_config{}.history_capacity);
  for (const example& e : c.split.train) p->observe({e.prompt, e.prompt_ids, 0, c.max_new_tokens}, e.length);
  return predictor_ptr(std::move(p));
}

}  // namespace

status_or<predictor_ptr> make_prompt_predictor(const std::string& name, const eval_context& c) {
  std::vector<double> lengths, ratios;
  for (const example& e : c.split.train) {
    lengths.push_back(e.length);
    ratios.push_back(double(e.length) / double(std::max<size_t>(1, e.prompt_ids.size())));
  }
  // The baselines' one parameter each, fitted to the training split.
  if (name == "fixed") return predictor_ptr(new fixed_predictor(static_cast<int>(median(lengths))));
  if (name == "prompt-ratio") return predictor_ptr(new prompt_ratio_predictor(median(ratios)));
  if (name == "learned") return make_learned(c);
  if (name == "embedding") return make_embedding(c);
  if (name == "history") return make_history(c);
  return status(error_code::invalid_argument, "predictor '" + name +
                                                  "' is unknown (known: fixed, prompt-ratio, learned, "
                                                  "embedding, history)");
}

namespace {

json to_json(const evaluation& ev) {
  json bin = json::object(), pm1 = json::object();
  for (const auto& [k, v] : ev.bin_acc) bin[std::to_string(k)] = v;
  for (const auto& [k, v] : ev.bin_acc_pm1) pm1[std::to_string(k)] = v;
  return {{"mae", ev.mae},  {"acc50", ev.acc50},  {"acc100", ev.acc100},
          {"bin_acc", bin}, {"bin_acc_pm1", pm1}, {"under_rate", ev.under_rate}};
}

// Every predictor is built before any is scored, so a bad name or model
// file fails before a half-printed table.
status_or<std::vector<predictor_ptr>> make_all(const eval_context& c) {
  std::vector<predictor_ptr> all;
  for (const std::string& name : c.f.predictors) {
    auto p = make_prompt_predictor(name, c);
    if (!p.ok()) return p.error();
    all.push_back(std::move(*p));
  }
  return all;
}

void print_table(const eval_flags& f, const std::vector<evaluation>& evs) {
  std::printf("%-13s %6s %8s %7s %7s %6s %6s %6s %6s %6s %6s %7s\n", "predictor", "n", "MAE", "Acc-50", "Acc-100",
              "bin2", "bin4", "bin8", "+-1b2", "+-1b4", "+-1b8", "under");
  auto at = [](const std::map<int, double>& m, int k) { return m.count(k) ? m.at(k) : 0.0; };
  for (size_t i = 0; i < evs.size(); ++i) {
    const evaluation& ev = evs[i];
    std::printf("%-13s %6d %8.1f %7.3f %7.3f %6.3f %6.3f %6.3f %6.3f %6.3f %6.3f %7.3f\n", f.predictors[i].c_str(),
                ev.n, ev.mae, ev.acc50, ev.acc100, at(ev.bin_acc, 2), at(ev.bin_acc, 4), at(ev.bin_acc, 8),
                at(ev.bin_acc_pm1, 2), at(ev.bin_acc_pm1, 4), at(ev.bin_acc_pm1, 8), ev.under_rate);
  }
}

// One object; the first predictor's scores also sit at the top level, so a
// single-predictor run reads as a flat record.
void print_json(const eval_flags& f, size_t n, const std::vector<evaluation>& evs) {
  json out = {{"n", n}, {"predictors", json::object()}};
  for (size_t i = 0; i < evs.size(); ++i) out["predictors"][f.predictors[i]] = to_json(evs[i]);
  if (!evs.empty()) out.update(to_json(evs.front()));
  std::cout << out.dump() << "\n";
}

int run_eval(const eval_flags& f) {
  if (!f.trace.empty()) return run_refresh_eval(f);
  auto m = f.model.load();
  if (!m) return 1;
  auto split = load_split(*m, f.data, f.fit.test_fraction);
  if (!split.ok()) return report(split.error());
  if (split->test.empty())
    return report(status(error_code::invalid_argument, f.data + ": no test examples after the split"));
  std::vector<int> train_lengths;
  for (const example& e : split->train) train_lengths.push_back(e.length);
  const int limit = f.max_new_tokens > 0 ? f.max_new_tokens
                                         : std::max(1, *std::max_element(train_lengths.begin(), train_lengths.end()));
  auto predictors = make_all({f, m, *split, limit});
  if (!predictors.ok()) return report(predictors.error());
  std::vector<evaluation> evs;
  for (auto& p : *predictors) evs.push_back(evaluate(*p, split->test, train_lengths, limit));
  if (f.json) {
    print_json(f, split->test.size(), evs);
  } else {
    print_table(f, evs);
  }
  return 0;
}

// ---- flags -----------------------------------------------------------------------

void add_fit_options(CLI::App& cmd, fit_flags& f) {
  cmd.add_option("--quantile", f.quantile, "the quantile of the length to predict")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 0.99));
  cmd.add_option("--epochs", f.epochs, "training passes")->capture_default_str()->check(CLI::PositiveNumber);
  cmd.add_option("--seed", f.seed, "training shuffle seed")->capture_default_str();
  cmd.add_option("--test-fraction", f.test_fraction, "share of prompts held out for eval")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd.add_option("--probe-bins", f.probe.bins, "probe: classes of remaining length")
      ->capture_default_str()
      ->check(CLI::Range(2, 4096));
  cmd.add_option("--probe-hidden", f.probe.mlp.hidden, "probe: hidden units (0: a linear softmax)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  cmd.add_option("--probe-epochs", f.probe.mlp.epochs, "probe: training passes")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--probe-learning-rate", f.probe.mlp.learning_rate, "probe: Adam's step")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--probe-smoothing", f.probe.smoothing,
                 "probe: weight of earlier readings when pooling (0: the latest alone)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
}

void add_train(CLI::App& parent) {
  auto f = std::make_shared<train_flags>();
  CLI::App* cmd = parent.add_subcommand("train", "train a predictor on a dataset's train split");
  f->model.add_to(*cmd);
  cmd->add_option("--data", f->data, "JSONL {prompt, length} or an Alpaca JSON array")->required();
  cmd->add_option("--out", f->out, "predictor file to write")->required();
  cmd->add_option("--kind", f->kind, "learned, embedding or probe")
      ->capture_default_str()
      ->check(CLI::IsMember({"learned", "embedding", "probe"}));
  cmd->add_option("--trace", f->trace, "probe: the states `predictor collect --self` recorded for --data");
  add_fit_options(*cmd, f->fit);
  on_run(cmd, f, run_train);
}

void add_eval(CLI::App& parent) {
  auto f = std::make_shared<eval_flags>();
  CLI::App* cmd = parent.add_subcommand("eval", "score predictors on a dataset's test split");
  f->model.add_to(*cmd);
  cmd->add_option("--data", f->data, "JSONL {prompt, length} or an Alpaca JSON array")->required();
  cmd->add_option("--predictors", f->predictors,
                  "fixed, prompt-ratio, learned, embedding, history; with --trace also step, probe, "
                  "probe-raw, floor")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--trace", f->trace,
                  "states `predictor collect --self` recorded for --data: score remaining lengths at "
                  "refresh points");
  cmd->add_option("--probe-model", f->probe_model, "trained probe (default: train one)");
  cmd->add_option("--learned-model", f->learned_model, "trained learned predictor (default: train one)");
  cmd->add_option("--embedding-model", f->embedding_model, "trained embedding predictor (default: train one)");
  cmd->add_option("--max-new-tokens", f->max_new_tokens,
                  "the requests' limit on predictions (0: the longest training length)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", f->json, "print one JSON object");
  add_fit_options(*cmd, f->fit);
  on_run(cmd, f, run_eval);
}

}  // namespace

status_or<dataset_split> load_split(const model& m, const std::string& path, double fraction) {
  auto all = load_dataset(path, tokenizer(m.vocab));
  if (!all.ok()) return all.error();
  dataset_split split = split_dataset(*all, fraction);
  if (split.train.empty()) return status(error_code::invalid_argument, path + ": no training examples after the split");
  return split;
}

void add_predictor_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("predictor", "collect, train and evaluate length predictors");
  cmd->require_subcommand(1);
  add_predictor_collect(*cmd);
  add_train(*cmd);
  add_eval(*cmd);
  add_predictor_cost(*cmd);
  add_predictor_floor(*cmd);
}

}  // namespace binserve::tools
