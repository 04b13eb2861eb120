#include "actors/intake_actor.hpp"

#include <chrono>
#include <unordered_map>

#include "actors/predictor_actor.hpp"
#include "gpu/stop_strings.hpp"

namespace binserve {

namespace {

using clock_type = std::chrono::steady_clock;

struct tracked {
  job j;  // as submitted, for the predictor's feedback
  clock_type::time_point submitted;
  double first_token_ms = -1;
  int streamed = 0;                        // tokens passed to the client (a restarted run repeats them)
  std::vector<token_logprobs> logprobs{};  // of the tokens streamed, when the job asked
};

struct intake_state {
  intake_state() = default;
  intake_params p;
  stats_actor stats;
  predictor_actor predictor;
  scheduler_actor scheduler;
  std::unordered_map<request_id, tracked> in_flight;
  std::vector<caf::typed_response_promise<drain_atom>> drains;
  bool draining = false;
};

using self_ptr = intake_actor::stateful_pointer<intake_state>;

double ms_since(clock_type::time_point t, clock_type::time_point now = clock_type::now()) {
  return std::chrono::duration<double, std::milli>(now - t).count();
}

// Ends request `id` with `r`; false when it was not in flight.
bool finish(self_ptr self, request_id id, status_or<result> r, request_record rec) {
  auto& s = self->state;
  auto it = s.in_flight.find(id);
  if (it == s.in_flight.end()) return false;
  rec.total_ms = ms_since(it->second.submitted);
  rec.first_token_ms = it->second.first_token_ms;
  self->send(s.stats, rec);  // first: a client that reads stats after its result sees it
  s.p.sink->on_final(id, std::move(r));
  s.in_flight.erase(it);
  if (s.in_flight.empty())
    for (auto& d : s.drains) d.deliver(drain_atom::value);
  if (s.in_flight.empty()) s.drains.clear();
  return true;
}

void fail(self_ptr self, request_id id, status err) {
  request_record rec;
  rec.cancelled = err.code() == error_code::cancelled;
  rec.timed_out = err.code() == error_code::timed_out;
  if (finish(self, id, std::move(err), rec) && (rec.cancelled || rec.timed_out))
    self->send(self->state.scheduler, cancel_atom::value, id);
}

// The deployment limit `j` breaks, if any (its content was checked when it
// was made: validate_request, validate_scheduling).
status admission(const intake_state& s, const job& j) {
  if (s.draining) return status(error_code::shutting_down, "the service is shutting down");
  if (static_cast<int>(s.in_flight.size()) >= s.p.limits.queue_capacity)
    return status(error_code::overloaded,
                  "queue full (" + std::to_string(s.p.limits.queue_capacity) + " requests in flight); retry later");
  if (static_cast<int>(j.gen.prompt_ids.size()) > s.p.limits.max_prompt_tokens)
    return status(error_code::input_too_large, "the prompt has " + std::to_string(j.gen.prompt_ids.size()) +
                                                   " tokens; the limit is " +
                                                   std::to_string(s.p.limits.max_prompt_tokens));
  if (j.gen.max_new_tokens > s.p.limits.max_new_tokens)
    return status(error_code::input_too_large,
                  "max_new_tokens must be in [1, " + std::to_string(s.p.limits.max_new_tokens) + "]");
  return status::ok_status();
}

void submit(self_ptr self, job& j) {
  auto& s = self->state;
  self->send(s.stats, submit_atom::value);
  if (status st = admission(s, j); !st.ok()) {
    self->send(s.stats, reject_atom::value);
    s.p.sink->on_final(j.id, st);
    return;
  }
  s.in_flight.emplace(j.id, tracked{j, clock_type::now()});
  if (j.deadline_ms > 0) self->delayed_send(self, std::chrono::milliseconds(j.deadline_ms), timeout_atom::value, j.id);
  self->send(s.predictor, std::move(j));
}

// Passes a generated token on to the client, once per index.
void on_token(self_ptr self, emitted_token& e) {
  auto it = self->state.in_flight.find(e.id);
  if (it == self->state.in_flight.end() || e.index != it->second.streamed) return;
  tracked& t = it->second;
  if (t.first_token_ms < 0) t.first_token_ms = ms_since(t.submitted);
  t.streamed = e.index + 1;
  if (e.has_logprobs) t.logprobs.push_back(std::move(e.logprobs));
  self->state.p.sink->on_token(e.id, e.index, e.token, e.has_logprobs ? &t.logprobs.back() : nullptr);
}

result result_of(const intake_state& s, finished& f, const tracked& t) {
  result r;
  r.id = f.request.id;
  r.prompt_ids = std::move(f.request.gen.prompt_ids);
  r.text = s.p.tok->decode(f.generated_ids, r.prompt_ids.back());
  if (f.stop_reason == "stop_string") r.text.resize(stop_string_cut(r.text, f.request.gen.stop));
  r.generated_ids = std::move(f.generated_ids);
  r.stop_reason = std::move(f.stop_reason);
  r.predicted_length = f.request.predicted_length;
  r.bin = f.request.bin;
  r.retries = f.request.retries;
  r.seed = f.request.gen.sampling.seed;
  r.logprobs = t.logprobs;  // a stop token's, streamed and not kept, is dropped
  if (r.logprobs.size() > r.generated_ids.size()) r.logprobs.resize(r.generated_ids.size());
  const auto started = clock_type::time_point(std::chrono::nanoseconds(f.started_ns));
  r.timings = {ms_since(t.submitted, started), t.first_token_ms, ms_since(t.submitted)};
  return r;
}

void done(self_ptr self, finished& f) {
  auto& s = self->state;
  auto it = s.in_flight.find(f.request.id);
  if (it == s.in_flight.end()) return;  // cancelled or timed out meanwhile
  self->send(s.predictor, observe_atom::value, it->second.j, static_cast<int>(f.generated_ids.size()));
  result r = result_of(s, f, it->second);
  request_record rec{true, false, false, static_cast<std::int64_t>(r.generated_ids.size()), 0, 0, r.timings.queue_ms};
  finish(self, r.id, std::move(r), rec);
}

// Its executor died running `j`: run it again as a retry job if it is still
// in flight, unless it has now outlived max_executor_failures executors.
void requeue(self_ptr self, job& j, const std::string& fault) {
  auto& s = self->state;
  if (!s.in_flight.contains(j.id)) return;  // finished before the executor died, or cancelled
  ++j.executor_failures;
  if (j.executor_failures > s.p.limits.max_executor_failures)
    return fail(self, j.id,
                status(error_code::backend_failure, "request abandoned: " + std::to_string(j.executor_failures) +
                                                        " executors failed running it; the last: " + fault));
  ++j.retries;
  self->send(s.stats, requeue_atom::value);
  self->send(s.scheduler, retry_atom::value, std::move(j));
}

intake_actor::behavior_type intake_behavior(self_ptr self, intake_params p, stats_actor stats) {
  auto& s = self->state;
  s.stats = stats;
  s.scheduler = spawn_scheduler_actor(self, std::move(p.scheduler), self, stats);
  s.predictor = spawn_predictor_actor(self->system(), std::move(p.predictor), s.scheduler);
  self->link_to(s.predictor);
  s.p = std::move(p);
  return {
      [self](submit_atom, job& j) { submit(self, j); },
      [self](emitted_token& e) { on_token(self, e); },
      [self](done_atom, finished& f) { done(self, f); },
      [self](failed_atom, request_id id, int code, const std::string& msg) {
        fail(self, id, status(static_cast<error_code>(code), msg));
      },
      [self](cancel_atom, request_id id) { fail(self, id, status(error_code::cancelled, "cancelled by the client")); },
      [self](timeout_atom, request_id id) {
        fail(self, id, status(error_code::timed_out, "the request passed its deadline"));
      },
      [self](requeue_atom, job& j, const std::string& fault) { requeue(self, j, fault); },
      [self](drain_atom) -> caf::result<drain_atom> {
        self->state.draining = true;
        if (self->state.in_flight.empty()) return drain_atom::value;
        auto promise = self->make_response_promise<drain_atom>();
        self->state.drains.push_back(promise);
        return promise;
      },
  };
}

}  // namespace

intake_actor spawn_intake_actor(caf::actor_system& sys, intake_params params, stats_actor stats) {
  return sys.spawn(intake_behavior, std::move(params), std::move(stats));
}

}  // namespace binserve
