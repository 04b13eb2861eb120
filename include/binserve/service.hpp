// binserve::service: the embedding API. Start one from a service_config,
// submit requests, read results from futures (and tokens as they come from
// an optional callback), cancel, read stats, shut down.
//
// Thread-safe: any thread may call any member. Callbacks run on binserve's
// threads: keep them short and do not call back into the service from them.
//
// Logging goes through spdlog's logger named "binserve": register one before
// the first start() to receive it (at info, one line per request that ends);
// without one, warnings and errors go to stderr.
//
//   auto svc = binserve::service::start(cfg);
//   if (!svc.ok()) { ... svc.error() ... }
//   auto sub = (*svc)->submit({.prompt = "Once upon a time"});
//   binserve::status_or<binserve::result> r = sub.future.get();
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "binserve/config.hpp"
#include "binserve/request.hpp"
#include "binserve/stats.hpp"
#include "binserve/status.hpp"

namespace binserve {

// Called for each generated token of one request, in order.
using token_callback = std::function<void(request_id id, const generated_token& token)>;

// Called exactly once with a request's final value: on binserve's threads,
// or on the caller's when submit rejects the request at once.
using completion_callback = std::function<void(request_id id, status_or<result> r)>;

struct submission {
  request_id id = 0;
  // Exactly one final value: the result, or an error: invalid_argument,
  // input_too_large, overloaded (queue full), cancelled, timed_out,
  // shutting_down, backend_failure.
  std::future<status_or<result>> future;
};

struct service_setup;  // actors/service_setup.hpp: tests' and benchmarks' switches
struct trace_replay;   // actors/trace_replay.hpp: a replayed length trace's lengths

class service {
 public:
  // Loads the model, creates the executors' backends and starts the actors.
  // Errors: config_invalid (naming the field), and those of load_model and
  // make_backend.
  static status_or<std::unique_ptr<service>> start(const service_config& config);
  friend status_or<std::unique_ptr<service>> start_service(const service_setup& setup);
  friend submission submit_replay(service& s, request r, trace_replay replay, token_callback on_token);
  friend request_id submit_replay(service& s, request r, trace_replay replay, token_callback on_token,
                                  completion_callback on_done);

  ~service();  // shutdown()
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  submission submit(request r, token_callback on_token = {});

  // The same, with the final value delivered to `on_done` instead of a
  // future, so that no thread has to wait on one (the network front ends).
  request_id submit(request r, token_callback on_token, completion_callback on_done);

  // Ends request `id` with `cancelled` if it has not finished; no-op otherwise.
  void cancel(request_id id);

  // The service's metrics now. Blocks the calling thread until the stats
  // actor answers: for embedders and tools, not for a thread the service
  // depends on (an io thread uses the callback form).
  stats current_stats() const;

  // The same without blocking: `done` is called exactly once, on a binserve
  // thread, with the metrics, or with timed_out when no answer came within
  // `timeout`, or shutting_down after shutdown().
  using stats_callback = std::function<void(status_or<stats>)>;
  void current_stats(stats_callback done, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

  // Stops accepting requests (new ones fail with shutting_down), waits until
  // every accepted request has its final result, then stops the actors.
  // Idempotent.
  void shutdown();

  // The tokenizer's text for ids (e.g. to print streamed tokens).
  std::string decode(const std::vector<int>& ids) const;

  // The bytes `token` adds to running text (possibly part of a UTF-8
  // character; "" for control tokens and ids outside the vocabulary).
  std::string token_text(int token) const;

  // `text`'s token ids, BOS first when `add_bos` and the model's vocabulary
  // adds one to prompts. In byte-level BPE vocabularies (Llama 3, Qwen2) the
  // text of a control token (<|eot_id|>) becomes its id.
  std::vector<int> encode(std::string_view text, bool add_bos) const;

  // What a chat template reads of the model: the template itself (GGUF
  // tokenizer.chat_template; "" when the model has none) and the text and
  // id of its BOS and EOS tokens.
  struct chat_format {
    std::string chat_template;
    std::string bos_token;
    std::string eos_token;
    int bos_id = -1;
    int eos_id = -1;
  };
  chat_format model_chat_format() const;

 private:
  struct impl;
  explicit service(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace binserve
