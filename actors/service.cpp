// binserve::service: wires the actor pipeline behind the embedding API.
#include "binserve/service.hpp"

#include <atomic>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include <caf/io/all.hpp>

#include "actors/backend_set.hpp"
#include "actors/intake_actor.hpp"
#include "actors/job_check.hpp"
#include "actors/log.hpp"
#include "actors/service_setup.hpp"
#include "actors/stats_actor.hpp"
#include "actors/trace_replay.hpp"
#include "config/config_rules.hpp"
#include "gpu/generate.hpp"
#include "predict/make_predictor.hpp"

namespace binserve {

namespace {

// The line a request's end writes to the log at info.
void log_request_end(request_id id, const std::string& client, const status_or<result>& r) {
  if (logger().should_log(spdlog::level::info)) logger().info(request_log_line(id, client, r));
}

// Futures and callbacks of the requests in flight.
class promise_sink final : public client_sink {
 public:
  explicit promise_sink(std::shared_ptr<const tokenizer> tok) : tok_(std::move(tok)) {}

  // Registers request `id`; its final value will go to `on_done`, or to the
  // returned future when `on_done` is empty.
  std::future<status_or<result>> add(request_id id, token_callback cb, int last_prompt_token,
                                     completion_callback on_done, std::string client) {
    std::lock_guard lock(mu_);
    pending& p = pending_[id];
    p.client = std::move(client);
    p.on_token = std::move(cb);
    p.on_done = std::move(on_done);
    p.prev = last_prompt_token;
    return p.on_done ? std::future<status_or<result>>() : p.promise.get_future();
  }
  void on_token(request_id id, int index, int token, const token_logprobs* logprobs) override {
    std::lock_guard lock(mu_);
    auto it = pending_.find(id);
    if (it == pending_.end() || !it->second.on_token) return;
    generated_token t{index, token, tok_->decode_piece(it->second.prev, token), std::nullopt};
    if (logprobs) t.logprobs = *logprobs;
    it->second.on_token(id, t);
    it->second.prev = token;
  }
  void on_final(request_id id, status_or<result> r) override {
    pending p;
    {
      std::lock_guard lock(mu_);
      auto it = pending_.find(id);
      if (it == pending_.end()) return;
      p = std::move(it->second);
      pending_.erase(it);
    }
    log_request_end(id, p.client, r);
    if (p.on_done)
      p.on_done(id, std::move(r));
    else
      p.promise.set_value(std::move(r));
  }

 private:
  struct pending {
    std::promise<status_or<result>> promise;  // when on_done is empty
    completion_callback on_done;
    token_callback on_token;
    int prev = 0;        // the token before the next one, for decoding
    std::string client;  // request::client, for the log
  };
  std::shared_ptr<const tokenizer> tok_;
  std::mutex mu_;
  std::unordered_map<request_id, pending> pending_;
};

// The embedding predictor's backend prefills one prompt at a time: a KV
// cache for one full-context sequence (fp32, the widest element) suffices,
// where the executors' default would reserve room for hundreds.
backend_options predictor_backend_options(backend_options bo, const model_config& m) {
  bo.kv_cache_bytes = std::int64_t(2) * m.n_layers * m.kv_dim() * 4 * m.n_ctx;
  return bo;
}

// Asks `target` for its stats once and hands the answer, or why there is
// none, to `done`; the actor then ends.
void ask_for_stats(caf::event_based_actor* self, stats_actor target, service::stats_callback done,
                   std::chrono::milliseconds timeout) {
  self->request(target, timeout, get_atom::value)
      .then([done](stats& s) { done(std::move(s)); },
            [done](caf::error& e) {
              const bool late = e == caf::sec::request_timeout;
              done(status(late ? error_code::timed_out : error_code::shutting_down,
                          "the stats actor did not answer: " + error_text(e)));
            });
}

}  // namespace

struct service::impl {
  impl() {
    add_message_types(cfg);
    // One worker per core: CAF's default of at least 4 workers makes threads
    // on a small machine wake and sleep against each other (measured: the
    // null-backend pipeline ran at 90k requests/s with 4 workers on 2 cores).
    cfg.set("scheduler.max-threads", std::max<size_t>(1, std::thread::hardware_concurrency()));
  }
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<const model> m;
  std::shared_ptr<const tokenizer> tok;
  std::shared_ptr<promise_sink> sink;
  intake_actor intake;
  stats_actor stats_handle;
  std::atomic<request_id> next_id{1};
  std::atomic<bool> accepting{true};
  std::once_flag stopped;
  std::mutex alive_mu;  // held while the actor system is torn down

  // Validates and sends `r` to the intake. A final value decided here (a
  // rejection) goes to on_done, else to `rejected` (whose future the caller
  // holds); otherwise `future` becomes the sink's future (when no on_done).
  request_id submit(request r, trace_replay replay, token_callback on_token, completion_callback on_done,
                    std::promise<status_or<result>>& rejected, std::future<status_or<result>>& future);
  status_or<job> make_job(request_id id, request r, trace_replay replay);
  // A seed for a request that has none: distinct requests get independent ones.
  std::uint64_t fresh_seed();
  // max_new_tokens of a request that leaves it to the deployment.
  int default_max_new_tokens(std::size_t prompt_tokens) const {
    return std::max(1, std::min(max_new_tokens, m->config.n_ctx - static_cast<int>(prompt_tokens)));
  }
  int max_new_tokens = 0;  // limits.max_new_tokens
  std::mutex seeds_mu;
  std::mt19937_64 seeds{std::random_device{}()};
};

status_or<job> service::impl::make_job(request_id id, request r, trace_replay replay) {
  if (!accepting) return status(error_code::shutting_down, "the service is shutting down");
  job j;
  j.id = id;
  j.gen = generation_of(r);
  if (j.gen.prompt_ids.empty()) j.gen.prompt_ids = tok->encode(r.prompt);
  if (!r.seed) j.gen.sampling.seed = fresh_seed();
  if (j.gen.max_new_tokens == 0) j.gen.max_new_tokens = default_max_new_tokens(j.gen.prompt_ids.size());
  j.gen.target_length = replay.target_length;
  j.prompt = std::move(r.prompt);
  j.client = std::move(r.client);
  j.known_length = replay.known_length;
  j.priority = r.priority;
  j.length_hint = r.length_hint;
  j.deadline_ms = r.deadline.count();
  if (status s = validate_request(j.gen, *m); !s.ok()) return s;
  if (status s = validate_scheduling(j); !s.ok()) return s;
  return j;
}

std::uint64_t service::impl::fresh_seed() {
  std::lock_guard lock(seeds_mu);
  return seeds();
}

request_id service::impl::submit(request r, trace_replay replay, token_callback on_token, completion_callback on_done,
                                 std::promise<status_or<result>>& rejected, std::future<status_or<result>>& future) {
  const request_id id = next_id++;
  const std::string client = r.client;
  auto j = make_job(id, std::move(r), replay);
  if (!j.ok()) {
    log_request_end(id, client, j.error());
    if (on_done)
      on_done(id, j.error());
    else
      rejected.set_value(j.error());
    return id;
  }
  const int prev = j->gen.prompt_ids.back();
  auto f = sink->add(id, std::move(on_token), prev, std::move(on_done), client);
  if (f.valid()) future = std::move(f);
  caf::anon_send(intake, submit_atom::value, std::move(*j));
  return id;
}

status_or<std::unique_ptr<service>> service::start(const service_config& c) {
  service_setup setup;
  static_cast<service_config&>(setup) = c;
  return start_service(setup);
}

status_or<std::unique_ptr<service>> start_service(const service_setup& c) {
  if (status s = check_rules(c); !s.ok()) return s;
  auto layout = sched::bin_layout::make(c.policy, c.limits.max_new_tokens);
  if (!layout.ok()) return layout.error();
  // The device's share is split evenly over the backends on it: the executors' and the embedding predictor's.
  auto set = start_backends(c, uses_embedding(c.predictor) ? 1 : 0, c.loaded);
  if (!set.ok()) return set.error();

  auto p = std::make_unique<service::impl>();
  p->m = set->m;
  p->tok = std::make_shared<const tokenizer>(p->m->vocab);
  p->sink = std::make_shared<promise_sink>(p->tok);
  intake_params ip;
  ip.limits = c.limits;
  p->max_new_tokens = c.limits.max_new_tokens;
  if (ip.limits.max_prompt_tokens == 0) ip.limits.max_prompt_tokens = p->m->config.n_ctx - 1;
  ip.tok = p->tok;
  ip.sink = p->sink;
  auto predictor = make_predictor(c.predictor, p->m, predictor_backend_options(set->options, p->m->config));
  if (!predictor.ok()) return predictor.error();
  ip.predictor = std::move(*predictor);
  ip.scheduler.backends = std::move(set->backends);
  ip.scheduler.probe = std::move(set->probe);
  ip.scheduler.fingerprint = std::move(set->fingerprint);
  ip.scheduler.policy = c.policy;
  ip.scheduler.layout = *layout;
  ip.scheduler.kill_every_n_steps = c.faults.kill_executor_every_n_steps;
  ip.scheduler.stall_after_n_steps = c.faults.stall_executor_after_n_steps;
  ip.scheduler.stall_ms = c.faults.stall_ms;
  ip.scheduler.step_delay_ms = c.faults.step_delay_ms;
  ip.scheduler.deadline = {c.limits.batch_timeout_slack, c.limits.batch_timeout_floor_ms / 1000.0};
  ip.scheduler.workers = c.workers;
  if (!c.step_trace.empty()) {
    auto trace = step_trace::open(c.step_trace);
    if (!trace.ok()) return trace.error();
    ip.scheduler.trace = std::move(*trace);
  }
  if (!c.workers.empty()) p->cfg.load<caf::io::middleman>();
  p->sys = std::make_unique<caf::actor_system>(p->cfg);
  p->stats_handle = spawn_stats_actor(*p->sys, layout->summaries());
  p->intake = spawn_intake_actor(*p->sys, std::move(ip), p->stats_handle);
  return std::unique_ptr<service>(new service(std::move(p)));
}

service::service(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

service::~service() { shutdown(); }

submission service::submit(request r, token_callback on_token) {
  return submit_replay(*this, std::move(r), {}, std::move(on_token));
}

request_id service::submit(request r, token_callback on_token, completion_callback on_done) {
  return submit_replay(*this, std::move(r), {}, std::move(on_token), std::move(on_done));
}

submission submit_replay(service& s, request r, trace_replay replay, token_callback on_token) {
  submission out;
  std::promise<status_or<result>> rejected;
  out.future = rejected.get_future();
  out.id = s.impl_->submit(std::move(r), replay, std::move(on_token), {}, rejected, out.future);
  return out;
}

request_id submit_replay(service& s, request r, trace_replay replay, token_callback on_token,
                         completion_callback on_done) {
  std::promise<status_or<result>> unused;
  std::future<status_or<result>> no_future;
  return s.impl_->submit(std::move(r), replay, std::move(on_token), std::move(on_done), unused, no_future);
}

void service::cancel(request_id id) { caf::anon_send(impl_->intake, cancel_atom::value, id); }

void service::current_stats(stats_callback done, std::chrono::milliseconds timeout) const {
  std::lock_guard lock(impl_->alive_mu);  // shutdown() cannot tear the system down meanwhile
  if (!impl_->sys || !impl_->stats_handle) return done(status(error_code::shutting_down, "the service has shut down"));
  // A short-lived actor makes the request, so that no thread waits for it.
  // (Its state travels as spawn arguments: CAF 0.17 dereferences a null
  // argument tuple when a function actor is spawned with none.)
  impl_->sys->spawn(ask_for_stats, impl_->stats_handle, std::move(done), timeout);
}

stats service::current_stats() const {
  stats out;
  caf::scoped_actor self{*impl_->sys};
  self->request(impl_->stats_handle, caf::infinite, get_atom::value)
      .receive([&](stats& s) { out = std::move(s); }, [](caf::error&) {});
  return out;
}

void service::shutdown() {
  std::call_once(impl_->stopped, [this] {
    impl_->accepting = false;
    {
      caf::scoped_actor self{*impl_->sys};
      self->request(impl_->intake, caf::infinite, drain_atom::value).receive([](drain_atom) {}, [](caf::error&) {});
      self->send_exit(impl_->intake, caf::exit_reason::user_shutdown);
      self->send_exit(impl_->stats_handle, caf::exit_reason::user_shutdown);
    }
    std::lock_guard lock(impl_->alive_mu);
    impl_->intake = nullptr;
    impl_->stats_handle = nullptr;
    impl_->sys.reset();  // waits for every actor to end
  });
}

std::string service::decode(const std::vector<int>& ids) const {
  return impl_->tok->decode(ids, impl_->m->vocab.bos_id);
}

std::string service::token_text(int token) const {
  return impl_->tok->decode_piece(-1, token);  // -1: not after BOS, so a leading space stays
}

std::vector<int> service::encode(std::string_view text, bool add_bos) const {
  return impl_->tok->encode(text, add_bos);
}

service::chat_format service::model_chat_format() const {
  const vocab& v = impl_->m->vocab;
  const auto text = [&](int id) { return std::string(special_text(v.pieces[static_cast<std::size_t>(id)])); };
  return {v.chat_template, text(v.bos_id), text(v.eos_id), v.bos_id, v.eos_id};
}

}  // namespace binserve
