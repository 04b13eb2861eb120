// binserve generate: one completion on a local backend, as text or JSON.
#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>

#include "gpu/generate.hpp"
#include "gpu/tokenizer.hpp"
#include "tools/commands.hpp"
#include "tools/model_options.hpp"

namespace binserve::tools {

namespace {

struct generate_flags {
  model_flags model;
  std::string prompt;
  generation_request request;
  bool json = false;
};

int run_generate(const generate_flags& f) {
  auto m = f.model.load();
  if (!m) return 1;
  auto b = make_backend(m, f.model.backend);
  if (!b.ok()) return report(b.error());
  const tokenizer tok(m->vocab);
  generation_request r = f.request;
  r.prompt_ids = tok.encode(f.prompt);

  const auto start = std::chrono::steady_clock::now();
  int prev = r.prompt_ids.back();
  auto stream = [&](int, int token, int) {
    if (f.json) return;
    std::cout << tok.decode_piece(prev, token) << std::flush;
    prev = token;
  };
  auto results = generate_batch(**b, {r}, stream);
  if (!results.ok()) return report(results.error());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const generation_result& out = results->front();
  if (!f.json) {
    std::cout << "\n";
    std::cerr << "[" << out.generated_ids.size() << " tokens, " << to_string(out.reason) << ", "
              << out.generated_ids.size() / seconds << " tokens/s]\n";
    return 0;
  }
  nlohmann::json j = {{"prompt", f.prompt},
                      {"prompt_ids", r.prompt_ids},
                      {"generated_ids", out.generated_ids},
                      {"text", tok.decode(out.generated_ids, r.prompt_ids.back())},
                      {"stop_reason", to_string(out.reason)},
                      {"seconds", seconds}};
  // The text may end inside a UTF-8 character (byte tokens), and the prompt
  // need not be UTF-8: invalid bytes become U+FFFD instead of an exception.
  std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  return 0;
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto f = std::make_shared<generate_flags>();
  CLI::App* cmd = app.add_subcommand("generate", "generate one completion locally");
  f->model.add_to(*cmd);
  cmd->add_option("--prompt", f->prompt, "prompt text")->required();
  cmd->add_option("--max-new-tokens", f->request.max_new_tokens, "most tokens to generate")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--target-length", f->request.target_length,
                  "ignore stop tokens and generate exactly N tokens (0: off)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--temperature", f->request.sampling.temperature, "0 is greedy")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--top-p", f->request.sampling.top_p, "nucleus sampling mass")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--seed", f->request.sampling.seed, "sampling seed")->capture_default_str();
  cmd->add_flag("--json", f->json, "print one JSON object");
  cmd->callback([f] {
    if (int rc = run_generate(*f); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace binserve::tools
