#include "tests/direct_greedy.hpp"

#include <gtest/gtest.h>

#include "gpu/generate.hpp"
#include "gpu/tokenizer.hpp"

namespace binserve::testing {

std::vector<std::vector<int>> direct_greedy(const std::string& model_path, const std::vector<std::string>& prompts,
                                            int max_new_tokens) {
  auto loaded = load_model(model_path);
  EXPECT_TRUE(loaded.ok()) << loaded.error().to_string();
  if (!loaded.ok()) return {};
  auto m = std::make_shared<const model>(std::move(*loaded));
  auto b = make_backend(m, {}).value();
  const tokenizer tok(m->vocab);
  std::vector<std::vector<int>> out;
  for (const auto& p : prompts) {
    generation_request r;
    r.prompt_ids = tok.encode(p);
    r.max_new_tokens = max_new_tokens;
    out.push_back((*generate_batch(*b, {r})).front().generated_ids);
  }
  return out;
}

std::vector<std::string> direct_greedy_texts(const std::string& model_path, const std::vector<std::string>& prompts,
                                             int max_new_tokens) {
  const auto ids = direct_greedy(model_path, prompts, max_new_tokens);
  auto loaded = load_model(model_path);
  if (!loaded.ok() || ids.size() != prompts.size()) return {};
  const tokenizer tok(loaded->vocab);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < prompts.size(); ++i) out.push_back(tok.decode(ids[i], tok.encode(prompts[i]).back()));
  return out;
}

}  // namespace binserve::testing
