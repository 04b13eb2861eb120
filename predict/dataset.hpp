// Prompt -> response-length datasets for training and evaluating predictors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "binserve/status.hpp"
#include "gpu/tokenizer.hpp"

namespace binserve {

struct example {
  std::string prompt;
  std::vector<int> prompt_ids;  // tokenizer.encode(prompt), BOS first
  int length = 0;               // response length in tokens
  // > 0: a length estimate the workload carries (a trace's --hint-field,
  // e.g. the same model's response length at another temperature), which
  // `bench`/`sim` runs with the `hint` predictor hand to the service as
  // the request's known_length, so the oracle reads a prediction.
  int hint = 0;
  // The sampling seed the answer was made with (JSONL "seed", as `predictor
  // collect` writes it); absent: none. A replay with the same sampler and
  // seed makes the same answer.
  std::optional<std::uint64_t> seed{};
};

// Reads either JSONL, one {"prompt": str, "length": int} per line (blank
// lines skipped), or a JSON array of {"instruction", "input", "output"}
// records (alpaca_en_demo.json: prompt = instruction, a newline and input
// when input is not empty; length = tokens of output under `tok`, without
// BOS). Errors: io_error; invalid_argument naming the file and the line (JSONL)
// or record index (JSON) that is malformed or lacks a field.
status_or<std::vector<example>> load_dataset(const std::string& path, const tokenizer& tok);

// A deterministic split: each example goes to the test part with
// probability test_fraction, decided by a hash of its prompt (so the same
// prompt always lands on the same side, and duplicates never straddle).
struct dataset_split {
  std::vector<example> train, test;
};
dataset_split split_dataset(const std::vector<example>& all, double test_fraction);

// Whether split_dataset puts `prompt` in the test part.
bool in_test_split(std::string_view prompt, double test_fraction);

}  // namespace binserve
