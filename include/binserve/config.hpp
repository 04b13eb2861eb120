// binserve: everything an embedded service is set up with, as plain values.
// Built in code or loaded from a deployment file (whose server and logging
// sections are `binserve serve`'s: net/server_config.hpp,
// config/deployment_loader.hpp); service::start validates it
// (config/config_rules.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace binserve {

// Bounds of service_config (docs/config.md says why): more executors only
// time-share the cores and multiply KV caches; more threads than any CPU
// has only thrash (100000 hung the first request).
inline constexpr int kMaxExecutors = 256;
inline constexpr int kMaxBackendThreads = 1024;

// The enums a deployment chooses from; binserve/names.hpp spells them.
// policy.kind: binned (vanilla, multibin, sequence) or continuous
// (sched/policy_registry.cpp makes each continuous one).
enum class policy_kind { vanilla, multibin, sequence, continuous, continuous_sjf, continuous_srpt };
enum class retry_mode { restart, resume };    // policy.retry
enum class kv_admission { max, predicted };   // policy.kv_admission
enum class backend_kind { cpu, cuda, null };  // backend.kind (null: no compute, for overhead tests)
enum class data_type { fp32, fp16, bf16 };    // model.dtype

struct policy_config {
  // vanilla:        one bin, fixed batch size, cap = max_new_tokens
  // Binned policies take each batch round-robin across clients
  // (request::client), first come first served within a client.
  // multibin:       `bins` bins of equal probability mass, batch_size each
  // sequence:       bins `bin_width` wide, cap = the bin's upper edge, retries
  //                 of overflows (FCR), variable batch size (VBS)
  // continuous:     iteration-level batching, up to max_batch_size, admitted
  //                 round-robin across clients (request::client; FCFS for one)
  // continuous-sjf: continuous, shortest predicted length first, with aging
  // continuous-srpt: continuous, shortest predicted remaining length first,
  //                 preemptive (sched/core.hpp)
  policy_kind kind = policy_kind::vanilla;
  int batch_size = 16;  // B: the batch threshold of a bin
  int bins = 4;         // multibin: k
  // multibin: predicted lengths whose quantiles set the boundaries; empty:
  // estimated online from recent predictions.
  std::vector<int> length_sample;
  int bin_width = 50;          // sequence
  bool variable_batch = true;  // sequence: VBS
  // sequence: cap each batch at its bin's upper edge and recompute the
  // overflows (FCR); false: every batch may run to max_new_tokens.
  bool cap_batches = true;
  int max_batch_size = 256;  // VBS and continuous: the most sequences at once
  // VBS: a bin of cap c gets batch size kv_token_budget / c (within
  // [batch_size, max_batch_size]); 0 = batch_size * max_new_tokens.
  std::int64_t kv_token_budget = 0;
  std::chrono::milliseconds max_wait{50};  // after this, an idle executor may take a bin's partial batch
  // An overflowed job goes to the retry bin (cap max_new_tokens), so it
  // overflows at most once: restart recomputes it, resume keeps its tokens.
  retry_mode retry = retry_mode::restart;
  // sequence: an overflowed job goes instead to the bin of its refreshed
  // prediction (its prediction doubled until it exceeds the tokens made,
  // sched::estimate_after) and may overflow again at that bin's cap: a
  // misprediction costs a move up the bins, not a run to max_new_tokens.
  bool rebin = false;
  double sjf_aging_per_s = 100.0;  // continuous-sjf: tokens of priority gained per second waited
  // Continuous policies (sched/core.hpp): a request that has waited this
  // many steps goes first within its priority class (0: no guard).
  int max_wait_steps = 256;
  int max_preemptions = 4;  // continuous-srpt: the most times one request is preempted
  // KV blocks a continuous sequence reserves as it starts: for prompt +
  // max_new_tokens (max), or for prompt + predicted length + one block
  // (predicted: more sequences fit; one that outgrows it when no block is
  // free preempts by the policy's order).
  kv_admission kv_reserve = kv_admission::max;
};

struct predictor_config {
  // oracle | fixed | prompt-ratio | learned | embedding | history
  std::string kind = "oracle";
  int fixed_length = 128;            // fixed; oracle's fallback when a request has no known length
  double ratio = 1.0;                // prompt-ratio: predicted = ratio * prompt tokens
  std::string model_file;            // learned / embedding: trained model to load (empty: untrained)
  double quantile = 0.8;             // learned / embedding: the quantile of the length to predict
  bool online = true;                // learned / embedding: learn from every completion
  std::string fallback = "learned";  // history: the predictor for prompts never seen
  int history_capacity = 100000;     // history: prompts remembered
  // How much a request's length_hint counts against the predictor's own
  // prediction, in [0, 1]: 1 takes the hint as it is, 0 ignores it, between
  // a weighted mean (predict/length_hint.hpp). A replayed known length wins.
  double hint_weight = 1.0;
  // A trained probe (`binserve predictor train --kind probe`): continuous
  // executors re-predict each running sequence's remaining length from the
  // served model's own states every refresh_tokens tokens and tell the
  // scheduling core (predictors.md). Empty: a prediction is made once, at arrival.
  std::string probe_file;
  int refresh_tokens = 16;
};

struct limits_config {
  int queue_capacity = 4096;  // requests accepted and not finished
  int max_prompt_tokens = 0;  // 0: the model's context - 1
  int max_new_tokens = 512;   // the most a request may ask for
  // A request whose executor died more than this many times (a fault, or a
  // worker node lost mid-batch) fails with backend_failure naming the fault,
  // instead of being re-queued forever.
  int max_executor_failures = 2;
  // An executor with work that reports no progress for max(floor, slack x
  // its expected step time) (from its measured seconds per computed slot;
  // the floor alone before any measurement) is hung: it is killed and its
  // jobs re-queued, as if it had died. A static batch reports progress at
  // most every min(1 s, floor / 4), so a long batch that keeps stepping is
  // never hung.
  double batch_timeout_slack = 4.0;
  int batch_timeout_floor_ms = 30000;
};

// A worker node (`binserve worker`) whose executors this service also uses.
struct worker_endpoint {
  std::string host = "127.0.0.1";
  int port = 0;
};

struct service_config {
  std::string model;                  // path or dummy:PRESET
  std::string model_format = "auto";  // auto (by the file's magic) | llama2c | gguf
  std::string tokenizer;              // llama2.c tokenizer file
  std::vector<int> stop_tokens;       // empty: the model's BOS and EOS
  data_type dtype = data_type::fp32;  // the CPU backend computes in fp32
  backend_kind backend = backend_kind::cpu;
  int device = 0;                   // cuda: the device ordinal the executors use
  int threads = 0;                  // per executor, 0 = every core; at most kMaxBackendThreads
  int executors = 1;                // at most kMaxExecutors
  std::int64_t kv_cache_bytes = 0;  // per executor, 0 = default
  // cuda, kv_cache_bytes 0: the share of the device's memory the backends on
  // it (each executor, and the embedding predictor's) split evenly, each for
  // its weights, KV cache and working memory. In (0, 1].
  double device_memory_share = 0.9;
  policy_config policy;
  predictor_config predictor;
  limits_config limits;
  std::vector<worker_endpoint> workers;  // remote executors (loads CAF's io middleman)
};

}  // namespace binserve
