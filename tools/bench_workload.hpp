// Workloads for `binserve bench`: what each replayed request asks for.
//
//   const:N                  N tokens for every request (overhead runs)
//   TRACE.json               a JSON array of records with an integer length
//                            field (--length-field), e.g. the Alpaca lengths
//   DATASET.json / .jsonl    prompts with response lengths (predict/dataset):
//                            alpaca_en_demo.json or `predictor collect` output;
//                            lengths are counted by --length-model's tokenizer
// Dataset workloads are split like `predictor train/eval` split them: the
// requests are the held-out part, the rest trains `learned` predictors.
#pragma once

#include <string>
#include <vector>

#include "binserve/status.hpp"
#include "predict/dataset.hpp"

namespace binserve::tools {

struct workload_options {
  std::string source;
  std::string length_field = "L_t0.0";
  std::string length_model;    // dataset workloads: the tokenizer counting lengths
  std::string served_model;    // its tokenizer encodes prompts as the service will
  double test_fraction = 0.2;
  int requests = 1024;         // trace/const: how many (a trace is cycled)
  int cap = 512;               // lengths are clamped to [1, cap]
};

struct workload {
  std::vector<example> requests;  // prompt ids in the served model's tokenizer
  std::vector<example> train;     // dataset workloads only
};

// Errors: io_error, invalid_argument (a malformed trace or dataset).
status_or<workload> load_workload(const workload_options& options);

}  // namespace binserve::tools
