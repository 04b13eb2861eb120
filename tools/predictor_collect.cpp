// binserve predictor collect: runs the served model over prompts with the
// serving sampler and records how long each answer was. --samples N answers
// each prompt N times (the per-prompt floor of a length predictor needs
// them); --openings N makes the prompts from the model itself (the first
// tokens of stories it tells from nothing); --self also records the states
// the probe predictor learns from (predict/state_trace.hpp).
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <set>

#include <nlohmann/json.hpp>

#include "gpu/generate.hpp"
#include "gpu/tokenizer.hpp"
#include "predict/state_trace.hpp"
#include "tools/model_options.hpp"
#include "tools/predictor_parts.hpp"

namespace binserve::tools {

namespace {

using json = nlohmann::json;

struct collect_flags {
  model_flags model;
  std::string prompts, out, states;
  sampling_params sampling{0.8f, 0.9f, 1};
  int max_new_tokens = 512;
  int batch = 32;
  int samples = 1;
  int openings = 0, opening_tokens = 16;
  bool self = false;
  std::vector<int> state_layers;
  int refresh_tokens = 16;
};

status_or<std::vector<std::string>> read_prompts(const std::string& path) {
  std::ifstream in(path);
  if (!in) return status(error_code::io_error, path + ": cannot open");
  std::vector<std::string> prompts;
  for (std::string line; std::getline(in, line);)
    if (line.find_first_not_of(" \t\r") != std::string::npos) prompts.push_back(line);
  if (prompts.empty()) return status(error_code::invalid_argument, path + ": no prompts");
  return prompts;
}

// The model's own openings: the first opening_tokens tokens of stories told
// from BOS (temperature 1, opening i seeded sampling.seed + 1e6 + i), cut at
// the last space so no word is split; duplicates dropped.
status_or<std::vector<std::string>> make_openings(backend& b, const tokenizer& tok, int bos, const collect_flags& f) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (int first = 0; first < f.openings; first += f.batch) {
    std::vector<generation_request> batch(std::min(f.batch, f.openings - first));
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i].prompt_ids = {bos};
      batch[i].sampling = {1.0f, 1.0f, f.sampling.seed + 1000000 + first + i};
      batch[i].max_new_tokens = f.opening_tokens;
    }
    auto results = generate_batch(b, batch);
    if (!results.ok()) return results.error();
    for (const generation_result& r : *results) {
      std::string text = tok.decode(r.generated_ids, bos);
      text = text.substr(0, text.find_last_of(' '));
      if (text.find_first_not_of(" \n") != std::string::npos && text.find('\n') == std::string::npos &&
          seen.insert(text).second)
        out.push_back(text);
    }
  }
  if (out.empty()) return status(error_code::invalid_argument, "--openings made no usable prompt");
  return out;
}

// One static batch of generations [first, first + n): generation g answers
// prompt g / samples with seed sampling.seed + g, so an answer does not
// depend on the batch it happened to share. With a trace, each generation's
// states at steps 0, R, 2R, ... are added to it.
status_or<std::vector<generation_result>> generate_slice(backend& b, const collect_flags& f,
                                                         const std::vector<std::vector<int>>& prompt_ids, int first,
                                                         int n, state_trace* trace) {
  std::vector<generation_request> batch(n);
  for (int i = 0; i < n; ++i) {
    batch[i].prompt_ids = prompt_ids[(first + i) / f.samples];
    batch[i].sampling = f.sampling;
    batch[i].sampling.seed = f.sampling.seed + first + i;
    batch[i].max_new_tokens = f.max_new_tokens;
  }
  std::vector<int> made(n, 0);  // tokens before the one being sampled
  auto record = [&](int i, int, int chunk) {
    if (trace != nullptr && made[i] % trace->refresh_tokens() == 0)
      trace->add(first + i, made[i], b.layer_states(chunk));
    ++made[i];
  };
  return generate_batch(b, batch, record);
}

int run_collect(const collect_flags& f) {
  auto m = f.model.load();
  if (!m) return 1;
  backend_options bo = f.model.backend;
  if (f.self)
    bo.state_layers = f.state_layers.empty() ? std::vector<int>{std::max(1, m->config.n_layers / 2), m->config.n_layers}
                                             : f.state_layers;
  auto b = make_backend(m, bo);
  if (!b.ok()) return report(b.error());
  const tokenizer tok(m->vocab);
  auto prompts = f.openings > 0 ? make_openings(**b, tok, m->vocab.bos_id, f) : read_prompts(f.prompts);
  if (!prompts.ok()) return report(prompts.error());
  std::ofstream out(f.out);
  if (!out) return report(status(error_code::io_error, f.out + ": cannot create"));
  std::vector<std::vector<int>> prompt_ids;
  for (const std::string& p : *prompts) prompt_ids.push_back(tok.encode(p));
  std::optional<state_trace> trace;
  if (f.self) trace.emplace(bo.state_layers, m->config.dim, f.refresh_tokens);
  const int total = static_cast<int>(prompts->size()) * f.samples;
  const auto start = std::chrono::steady_clock::now();
  for (int first = 0; first < total; first += f.batch) {
    const int n = std::min(f.batch, total - first);
    auto results = generate_slice(**b, f, prompt_ids, first, n, trace ? &*trace : nullptr);
    if (!results.ok()) return report(results.error());
    for (int i = 0; i < n; ++i) {
      const int g = first + i, p = g / f.samples;
      const generation_result& r = (*results)[i];
      out << json{{"prompt", (*prompts)[p]},
                  {"prompt_index", p},
                  {"sample", g % f.samples},
                  {"seed", f.sampling.seed + g},
                  {"length", r.generated_ids.size()},
                  {"reason", to_string(r.reason)},
                  {"text", tok.decode(r.generated_ids, prompt_ids[p].back())}}
                 .dump(-1, ' ', false, json::error_handler_t::replace)
          << "\n";
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cerr << "collect: " << first + n << "/" << total << " generations, " << s << " s\n";
  }
  out.flush();
  if (!out) return report(status(error_code::io_error, f.out + ": write failed"));
  if (trace) {
    const std::string path = f.states.empty() ? f.out + ".states" : f.states;
    if (status s = trace->save(path); !s.ok()) return report(s);
    std::cerr << "collect: " << trace->rows() << " state rows in " << path << "\n";
  }
  return 0;
}

}  // namespace

void add_predictor_collect(CLI::App& parent) {
  auto f = std::make_shared<collect_flags>();
  CLI::App* cmd = parent.add_subcommand("collect", "record the served model's response lengths");
  f->model.add_to(*cmd);
  auto* prompts = cmd->add_option("--prompts", f->prompts, "text file, one prompt per line");
  auto* openings = cmd->add_option("--openings", f->openings,
                                   "instead of --prompts: this many prompts from the model's own story openings")
                       ->check(CLI::PositiveNumber);
  prompts->excludes(openings);
  cmd->add_option("--opening-tokens", f->opening_tokens, "tokens told per opening (cut at its last space)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--out", f->out,
                  "JSONL to write: {\"prompt\", \"prompt_index\", \"sample\", \"seed\", \"length\", "
                  "\"reason\", \"text\"} per generation")
      ->required();
  cmd->add_option("--samples", f->samples, "answers per prompt")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--temperature", f->sampling.temperature, "0 is greedy")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--top-p", f->sampling.top_p, "nucleus sampling mass")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--seed", f->sampling.seed, "seed of generation 0 (generation g: seed + g)")->capture_default_str();
  cmd->add_option("--max-new-tokens", f->max_new_tokens, "most tokens per answer")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--batch", f->batch, "generations per static batch")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--self", f->self, "also record the model's layer states every --refresh-tokens (the probe's data)");
  cmd->add_option("--states", f->states, "where --self writes the states (default: OUT.states)");
  cmd->add_option("--state-layers", f->state_layers,
                  "layers whose residual stream --self records (default: the middle and the last)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  cmd->add_option("--refresh-tokens", f->refresh_tokens, "tokens between recorded states")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->callback([f] {
    if (f->prompts.empty() && f->openings == 0) throw CLI::RequiredError("--prompts or --openings");
    if (int rc = run_collect(*f); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace binserve::tools
