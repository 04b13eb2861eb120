// The reference the end-to-end service tests compare against: each prompt
// generated alone, greedily, directly on a CPU backend (no actors).
#pragma once

#include <string>
#include <vector>

namespace binserve::testing {

// Greedy ids (stop token excluded) of each of `prompts` alone on the model
// at `model_path`, up to `max_new_tokens`. Fails the test on a load error.
std::vector<std::vector<int>> direct_greedy(const std::string& model_path, const std::vector<std::string>& prompts,
                                            int max_new_tokens);

// The same, as the text each prompt's greedy tokens decode to.
std::vector<std::string> direct_greedy_texts(const std::string& model_path, const std::vector<std::string>& prompts,
                                             int max_new_tokens);

}  // namespace binserve::testing
