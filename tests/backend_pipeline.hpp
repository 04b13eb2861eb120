// The service's actor pipeline (intake, scheduler, bins, executors, stats)
// on backends the test makes, such as tests/failing_backend.hpp, which
// service::start cannot be given. A recording sink keeps every streamed
// token and every final value by request id, so a test can count finals
// and compare a stream with its result. Fixed predictor (8 tokens), greedy.
//
// Used from the test's thread: submit, wait, current_stats, shutdown.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "actors/intake_actor.hpp"
#include "actors/stats_actor.hpp"
#include "predict/make_predictor.hpp"

namespace binserve::testing {

class recording_sink final : public client_sink {
 public:
  void on_token(request_id id, int index, int token, const token_logprobs*) override {
    std::lock_guard lock(mu_);
    tokens_[id].push_back({index, token});
  }
  void on_final(request_id id, status_or<result> r) override {
    std::lock_guard lock(mu_);
    ended_.push_back(id);
    finals_[id].push_back(std::move(r));
    done_.notify_all();
  }
  // True once `n` requests have a final value, false after `timeout`.
  bool wait(std::size_t n, std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    return done_.wait_for(lock, timeout, [&] { return finals_.size() >= n; });
  }
  std::vector<status_or<result>> finals(request_id id) {
    std::lock_guard lock(mu_);
    return finals_[id];
  }
  // Request ids in the order their final values came.
  std::vector<request_id> ended() {
    std::lock_guard lock(mu_);
    return ended_;
  }
  // (index, token) as streamed, in order.
  std::vector<std::pair<int, int>> tokens(request_id id) {
    std::lock_guard lock(mu_);
    return tokens_[id];
  }

 private:
  std::mutex mu_;
  std::condition_variable done_;
  std::map<request_id, std::vector<std::pair<int, int>>> tokens_;
  std::map<request_id, std::vector<status_or<result>>> finals_;
  std::vector<request_id> ended_;
};

struct pipeline_options {
  policy_config policy;
  predictor_config predictor;                             // default: fixed at 8 tokens (kind empty)
  std::function<void(request_id)> on_arrival;             // scheduler_params'
  std::function<void(const sched::step_plan&)> on_plan;   // scheduler_params'
  std::function<void(const sched::batch_run&)> on_batch;  // scheduler_params'
  std::function<void(int, bool, bool)> on_bin;            // scheduler_params'
  executor_probe probe;                                   // scheduler_params'
  int max_executor_failures = 2;
  int step_delay_ms = 0;  // scheduler_params' fault injection: every step this much slower
  int max_new_tokens = 12;
};

class backend_pipeline {
 public:
  // One local executor per backend; all serve the same model.
  backend_pipeline(const pipeline_options& o, std::vector<std::shared_ptr<backend>> backends)
      : sink_(std::make_shared<recording_sink>()) {
    const model& m = backends.at(0)->served_model();
    tok_ = std::make_shared<const tokenizer>(m.vocab);
    add_message_types(cfg_);
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    auto layout = sched::bin_layout::make(o.policy, o.max_new_tokens);
    EXPECT_TRUE(layout.ok()) << layout.error().to_string();
    intake_params ip;
    ip.limits.max_new_tokens = o.max_new_tokens;
    ip.limits.max_executor_failures = o.max_executor_failures;
    ip.limits.max_prompt_tokens = m.config.n_ctx - 1;
    ip.tok = tok_;
    ip.sink = sink_;
    predictor_config fixed;
    fixed.kind = "fixed";
    fixed.fixed_length = 8;
    auto predictor = make_predictor(o.predictor.kind.empty() ? fixed : o.predictor, nullptr, backend_options{});
    EXPECT_TRUE(predictor.ok()) << predictor.error().to_string();
    ip.predictor = std::move(*predictor);
    ip.scheduler.policy = o.policy;
    ip.scheduler.layout = *layout;
    ip.scheduler.backends = std::move(backends);
    ip.scheduler.on_arrival = o.on_arrival;
    ip.scheduler.on_plan = o.on_plan;
    ip.scheduler.on_batch = o.on_batch;
    ip.scheduler.on_bin = o.on_bin;
    ip.scheduler.probe = o.probe;
    ip.scheduler.step_delay_ms = o.step_delay_ms;
    stats_ = spawn_stats_actor(*sys_, layout->summaries());
    intake_ = spawn_intake_actor(*sys_, std::move(ip), stats_);
  }
  ~backend_pipeline() { shutdown(); }

  // Submits a greedy request for `text`; returns its id.
  request_id submit(const std::string& text, int max_new_tokens) {
    job j;
    j.prompt = text;
    j.gen.max_new_tokens = max_new_tokens;
    return submit(std::move(j));
  }
  // Submits `j` (its id and prompt ids set here); returns its id.
  request_id submit(job j) {
    const request_id id = next_id_++;
    j.id = id;
    j.gen.prompt_ids = tok_->encode(j.prompt);
    caf::anon_send(intake_, submit_atom::value, std::move(j));
    return id;
  }
  int prompt_tokens(const std::string& text) const { return static_cast<int>(tok_->encode(text).size()); }

  recording_sink& sink() { return *sink_; }

  binserve::stats current_stats() {
    binserve::stats out;
    caf::scoped_actor self{*sys_};
    self->request(stats_, std::chrono::seconds(10), get_atom::value)
        .receive([&](binserve::stats& s) { out = std::move(s); },
                 [](caf::error& e) { ADD_FAILURE() << "stats: " << error_text(e); });
    return out;
  }

  // Drains, stops every actor and waits for them (as service::shutdown).
  void shutdown() {
    if (!sys_) return;
    {
      caf::scoped_actor self{*sys_};
      self->request(intake_, caf::infinite, drain_atom::value).receive([](drain_atom) {}, [](caf::error&) {});
      self->send_exit(intake_, caf::exit_reason::user_shutdown);
      self->send_exit(stats_, caf::exit_reason::user_shutdown);
    }
    intake_ = nullptr;
    stats_ = nullptr;
    sys_.reset();
  }

 private:
  std::shared_ptr<const tokenizer> tok_;
  std::shared_ptr<recording_sink> sink_;
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  stats_actor stats_;
  intake_actor intake_;
  request_id next_id_ = 1;
};

}  // namespace binserve::testing
