// Workloads: what each replayed request asks for, and when it arrives.
// `binserve-bench bench`, `binserve-bench loadgen` and `binserve-bench sim` all read them here,
// so a figure from the simulator and one from the real engine come from the
// same requests.
//
// Sources (workload_options::source):
//   const:N                  N tokens for every request (overhead runs)
//   uniform:A:B              lengths uniform on the integers [A, B]
//   exponential:MEAN         lengths exponential with this mean (rounded, >= 1)
//   TRACE.json               a JSON array of records with an integer length
//                            field (--length-field), e.g. the Alpaca lengths
//   TRACE.csv                the Azure LLM inference trace
//                            (TIMESTAMP,ContextTokens,GeneratedTokens): output
//                            lengths, and arrival times for `trace` arrivals
//   DATASET.json / .jsonl    prompts with response lengths (predict/dataset):
//                            alpaca_en_demo.json or `predictor collect` output;
//                            lengths are counted by --length-model's tokenizer
// Dataset workloads are split like `predictor train/eval` split them: the
// requests are the held-out part, the rest trains `learned` predictors.
// Lengths are clamped to [1, cap]; synthetic sources draw from `seed`.
//
// Arrivals (workload_options::arrivals):
//   offline                  every request at time 0 (the papers' setting)
//   poisson:RATE             exponential gaps, RATE requests per second
//   trace[:SCALE]            a CSV trace's inter-arrival gaps (cycled), times SCALE
// The first request arrives at 0 in every case.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "binserve/status.hpp"
#include "predict/dataset.hpp"

namespace binserve::tools {

struct workload_options {
  std::string source;
  std::string length_field = "L_t0.0";
  std::string hint_field;    // JSON trace: a second length field kept as example::hint
  std::string length_model;  // dataset workloads: the tokenizer counting lengths
  std::string served_model;  // its tokenizer encodes prompts as the service will
  double test_fraction = 0.2;
  int requests = 1024;     // trace/const/synthetic: how many (a trace is cycled)
  int cap = 512;           // lengths are clamped to [1, cap]
  std::uint64_t seed = 1;  // synthetic lengths and Poisson gaps
  std::string arrivals = "offline";
  // Dataset workloads: exactly `requests` requests, the held-out part cycled
  // or cut (a load generator's count), instead of that part once.
  bool repeat_dataset = false;
};

struct workload {
  std::vector<example> requests;  // prompt ids in the served model's tokenizer
  std::vector<double> arrival_s;  // [requests]: seconds after the start, non-decreasing
  std::vector<example> train;     // dataset workloads only
  // [requests] CSV traces only: the trace's prompt length (ContextTokens);
  // the prompts themselves are dummies.
  std::vector<int> prompt_tokens;
};

// Errors: io_error, invalid_argument (a malformed source, trace or arrival
// spec; the message names the file and line or the spec).
status_or<workload> load_workload(const workload_options& options);

}  // namespace binserve::tools
