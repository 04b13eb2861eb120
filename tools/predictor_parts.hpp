// The subcommands of `binserve predictor`, one file each, and what they share.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "predict/dataset.hpp"
#include "predict/length_predictor.hpp"
#include "predict/probe_predictor.hpp"
#include "tools/model_options.hpp"

namespace binserve::tools {

struct fit_flags {  // what training needs, shared by train and eval
  double quantile = 0.8;
  int epochs = 5;
  std::uint64_t seed = 1;
  double test_fraction = 0.2;
  probe_options probe;  // its quantile is `quantile`
};

struct eval_flags {
  model_flags model;
  std::string data, learned_model, embedding_model, probe_model;
  std::string trace;  // the states of --data's generations: score remaining lengths at refresh points
  std::vector<std::string> predictors = {"fixed", "prompt-ratio", "learned", "embedding", "history"};
  fit_flags fit;
  int max_new_tokens = 0;  // 0: the longest training length
  bool json = false;
};

struct eval_context {
  const eval_flags& f;
  std::shared_ptr<const model> m;
  const dataset_split& split;
  int max_new_tokens;  // every prediction's limit
};

// predictor collect: the served model's own answers (and, with --self, its states).
void add_predictor_collect(CLI::App& parent);

// predictor cost: the probe's time per refresh beside a decode step.
void add_predictor_cost(CLI::App& parent);

// predictor floor: the prefix floor of remaining-length prediction (branched continuations).
void add_predictor_floor(CLI::App& parent);

// The dataset at `path` split by prompt. Errors: those of load_dataset;
// invalid_argument when the training part is empty.
status_or<dataset_split> load_split(const model& m, const std::string& path, double fraction);

// The prompt-only predictor `name` (fixed, prompt-ratio, learned, embedding,
// history), fitted to c.split.train or loaded from c.f's model files.
// Errors: invalid_argument (unknown name), those of loading and training.
status_or<std::unique_ptr<length_predictor>> make_prompt_predictor(const std::string& name, const eval_context& c);

// The probe fitted to the rows of `trace_path` whose generation (line of
// `data`) is in the training part of the split. Errors: those of loading
// the dataset and the trace, and of probe_examples and training.
status_or<probe_predictor> train_probe(const model& m, const std::string& data, const std::string& trace_path,
                                       const fit_flags& f);

// predictor eval --trace: remaining-length scores at refresh points
// (predict/refresh_evaluation.hpp) for prompt-only predictors, `step`,
// `probe`, `probe-raw` (the latest reading alone) and `floor`.
int run_refresh_eval(const eval_flags& f);

// The median of v, the upper one of an even count. Precondition: v is not empty.
template <class T>
T median(std::vector<T> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// Makes `cmd` run `run(*f)`, exiting with its code when that is not 0.
template <class Flags>
void on_run(CLI::App* cmd, std::shared_ptr<Flags> f, int (*run)(const Flags&)) {
  cmd->callback([f, run] {
    if (int rc = run(*f); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace binserve::tools
