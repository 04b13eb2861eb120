#include "actors/scheduler_actor.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>

#include "actors/bin_actor.hpp"
#include "actors/clock.hpp"
#include "actors/executor_actor.hpp"
#include "actors/worker_link_actor.hpp"

namespace binserve {

namespace {

// One executor, local or on a worker node.
struct executor_slot {
  int index = 0;
  executor_actor handle;
  std::shared_ptr<backend> local;  // null: on a worker node
  int node = 0;
  std::int64_t reported = 0;  // binned: the batch's computed slots at its last report
};

// Continuous: a job the core holds, as it arrived, and the tokens it has
// generated since (its run resumes from them after an eviction).
struct held_job {
  job j;
  std::vector<int> tokens;
};

struct scheduler_state {
  scheduler_state() = default;
  policy_config policy;
  std::unique_ptr<sched::bin_layout> layout;
  std::vector<bin_actor> bins;
  std::map<int, executor_slot> executors;                 // by executor index
  executor_params each;                                   // template of every executor's params
  executor_probe probe;                                   // local executors' probe (none: null)
  std::shared_ptr<step_trace> trace;                      // local executors' (null: off)
  int next_local = 0;                                     // index of the next local executor
  std::unique_ptr<sched::batch_core> batches;             // binned: the scheduling core (sched/batch_core.hpp)
  std::map<request_id, job> taken;                        // binned: jobs taken from bins, until their batch ends
  std::unique_ptr<sched::core> core;                      // continuous: the scheduling core (sched/core.hpp)
  std::map<request_id, held_job> held;                    // continuous: every job the core holds
  std::map<int, sched::executor_capacity> early;          // continuous: capacities of executors not joined yet
  sched::core_counters reported;                          // continuous: the core's counters last sent to stats
  std::function<void(request_id)> on_arrival;             // scheduler_params'
  std::function<void(const sched::step_plan&)> on_plan;   // scheduler_params'
  std::function<void(const sched::batch_run&)> on_batch;  // scheduler_params'
  intake_actor intake;
  stats_actor stats;
  std::unique_ptr<sched::watchdog> watchdog;  // every executor's hang deadline (sched/deadline.hpp)
  // Local executors killed for a missed deadline, by address: each one's
  // backend gets a fresh executor once it has exited (not before: the hung
  // step may still be using it).
  std::map<caf::actor_addr, std::shared_ptr<backend>> killed;
  int retired = 0;  // local backends that failed for good
};

using self_ptr = scheduler_actor::stateful_pointer<scheduler_state>;

// ---- hang deadlines (sched/deadline.hpp) ----------------------------------------

// How often a static batch reports progress: a quarter of the floor, so a
// deadline never passes between two reports of a batch that is stepping,
// and at most once a second, so a fast model does not flood the scheduler.
int progress_every_ms(const sched::deadline_rule& rule) {
  return static_cast<int>(std::clamp(rule.floor_s * 1000.0 / 4.0, 1.0, 1000.0));
}

void arm(self_ptr self, const std::optional<sched::deadline_timer>& t) {
  if (!t) return;
  const auto delay = std::chrono::nanoseconds(std::max<std::int64_t>(0, t->due - now_ns()));
  self->delayed_send(self, delay + std::chrono::milliseconds(1), timeout_atom::value, t->executor, t->timer);
}

// ---- binned: the batch core's actions ---------------------------------------------

void run_actions(self_ptr self, sched::batch_actions a);

// A take from `bin` is answered: its jobs are kept until their batch ends.
void on_pulled(self_ptr self, int bin, batch b) {
  auto& s = self->state;
  std::vector<request_id> ids;
  for (job& j : b.jobs) {
    ids.push_back(j.id);
    s.taken[j.id] = std::move(j);
  }
  run_actions(self, s.batches->pulled(bin, b.cap, std::move(ids)));
}

// Takes go to their bins; a batch to run goes to its executor, its jobs
// kept (taken) in case the executor is lost.
void run_actions(self_ptr self, sched::batch_actions a) {
  auto& s = self->state;
  for (int bin : a.take)
    self->request(s.bins[bin], caf::infinite, take_atom::value)
        .then([self, bin](batch& b) { on_pulled(self, bin, std::move(b)); },
              // a bin that failed answers as an empty one (its link stops the scheduler)
              [self, bin](caf::error&) {
                on_pulled(self, bin, batch{bin, 0, {}});
              });
  for (const sched::batch_run& r : a.run) {
    if (s.on_batch) s.on_batch(r);
    auto it = s.executors.find(r.executor);
    if (it == s.executors.end()) continue;  // never: the core has only the scheduler's executors
    executor_slot& slot = it->second;
    batch b{r.bin, r.cap, {}};
    for (request_id id : r.ids)
      if (auto t = s.taken.find(id); t != s.taken.end()) b.jobs.push_back(t->second);
    slot.reported = 0;
    arm(self, s.watchdog->start(r.executor, static_cast<std::int64_t>(b.jobs.size()), now_ns()));
    self->send(slot.handle, run_atom::value, std::move(b));
  }
}

// ---- continuous: the scheduling core's plans ------------------------------------

// The core's counters and waiting depth, to the stats actor.
void report_core(self_ptr self) {
  auto& s = self->state;
  const sched::core_counters& c = s.core->counters();
  if (c.preemptions != s.reported.preemptions || c.recomputed_tokens != s.reported.recomputed_tokens)
    self->send(s.stats, preempt_atom::value, c.preemptions - s.reported.preemptions,
               c.recomputed_tokens - s.reported.recomputed_tokens);
  s.reported = c;
  self->send(s.stats, depth_atom::value, 0, s.core->waiting());
}

// Sends each plan to its executor: admitted jobs resume from the tokens
// they had; a plan that steps starts the executor's deadline clock.
void send_plans(self_ptr self, const std::vector<sched::step_plan>& plans) {
  auto& s = self->state;
  for (const sched::step_plan& p : plans) {
    if (s.on_plan) s.on_plan(p);
    auto it = s.executors.find(p.executor);
    if (it == s.executors.end()) continue;
    executor_slot& slot = it->second;
    executor_plan m{p.evict, p.park, {}, {}, {}, p.step};
    for (const sched::admission& a : p.admit) {
      if (a.parked) {
        m.resume.push_back(a.id);
        continue;
      }
      auto h = s.held.find(a.id);
      if (h == s.held.end()) continue;  // never: the core holds only ids `held` has (no crash if so)
      m.admit.push_back(h->second.j);
      std::vector<int>& resumed = m.admit.back().resumed_ids;
      resumed.insert(resumed.end(), h->second.tokens.begin(), h->second.tokens.end());
      m.reserve.push_back(a.reserve_tokens);
    }
    if (p.step) arm(self, s.watchdog->start(p.executor, s.core->live_on(p.executor), now_ns()));
    self->send(slot.handle, plan_atom::value, std::move(m));
  }
  report_core(self);
}

sched::arrival arrival_of(const job& j) {
  return {j.id,
          j.client,
          j.priority,
          static_cast<int>(j.gen.prompt_ids.size()),
          j.gen.max_new_tokens,
          j.predicted_length,
          static_cast<int>(j.resumed_ids.size())};
}

// Executor `e` ran its step: its tokens are kept for a later resume, then
// the core plans its next one.
void on_step(self_ptr self, int e, step_report& r) {
  auto& s = self->state;
  auto it = s.executors.find(e);
  if (it == s.executors.end()) return;  // lost (or timed out) meanwhile
  s.watchdog->stop(e, std::max<std::int64_t>(1, s.core->live_on(e)), now_ns());
  std::vector<sched::progress> live;
  for (std::size_t i = 0; i < r.ids.size(); ++i) {
    auto h = s.held.find(r.ids[i]);
    if (h == s.held.end()) continue;  // cancelled meanwhile
    h->second.tokens.push_back(r.tokens[i]);
    live.push_back({r.ids[i], r.generated[i]});
    if (i < r.predicted.size() && r.predicted[i] > 0) s.core->predicted(r.ids[i], r.predicted[i]);
  }
  for (request_id id : r.ended) s.held.erase(id);
  send_plans(self, s.core->step_done(e, live, r.ended, now_ns()));
}

// A continuous executor announced what it holds: the core may use it once
// the scheduler has it (a remote one may announce before its node joins).
void on_capacity(self_ptr self, int e, const sched::executor_capacity& cap) {
  auto& s = self->state;
  if (!s.executors.count(e)) {
    s.early[e] = cap;
    return;
  }
  send_plans(self, s.core->add_executor(e, cap, now_ns()));
}

void route(self_ptr self, job j) {
  auto& s = self->state;
  if (s.layout->continuous()) {
    const sched::arrival a = arrival_of(j);
    if (s.on_arrival) s.on_arrival(j.id);
    s.held[j.id] = held_job{std::move(j), {}};
    return send_plans(self, s.core->arrive(a, now_ns()));
  }
  j.bin = s.layout->route(j.predicted_length, j.retries, j.overflow_made);
  self->send(s.bins[j.bin], std::move(j));
}

// Adds executor `index` (already spawned) to the set.
void add_executor(self_ptr self, int index, executor_actor handle, std::shared_ptr<backend> local, int node) {
  executor_slot slot;
  slot.index = index;
  slot.handle = std::move(handle);
  slot.local = std::move(local);
  slot.node = node;
  self->state.executors[index] = std::move(slot);
  if (self->state.batches) run_actions(self, self->state.batches->add_executor(index));
}

void spawn_local_executor(self_ptr self, std::shared_ptr<backend> b) {
  auto& s = self->state;
  executor_params p = s.each;
  p.index = s.next_local++;
  p.node = 0;
  if (p.index != 0) p.stall_after_n_steps = 0;  // the injected hang happens once
  auto handle = spawn_executor_actor(self->system(), p, b, self, s.intake, s.stats, s.trace, s.probe);
  self->link_to(handle);
  add_executor(self, p.index, std::move(handle), std::move(b), 0);
}

// A local executor has exited: its backend gets a fresh one, unless the
// backend failed for good (health(): every forward would fail again) and
// another executor remains to do the work; then the backend is retired and
// node 0's stats say so. The last executor is always replaced, so requests
// end with backend_failure after limits.max_executor_failures instead of
// waiting for an executor that never comes. The old executor has exited, so
// nothing else touches the backend now.
void replace_local(self_ptr self, std::shared_ptr<backend> b) {
  auto& s = self->state;
  const status health = b->health();
  if (health.ok() || s.executors.empty()) return spawn_local_executor(self, std::move(b));
  ++s.retired;
  const auto local =
      std::count_if(s.executors.begin(), s.executors.end(), [](const auto& e) { return e.second.local != nullptr; });
  self->send(s.stats, node_atom::value, 0, std::string("local"), true, static_cast<int>(local),
             std::to_string(s.retired) + " backend(s) retired, the last: " + health.to_string());
}

std::optional<int> index_of(self_ptr self, const caf::actor_addr& source) {
  for (const auto& [index, slot] : self->state.executors)
    if (slot.handle.address() == source) return index;
  return std::nullopt;
}

// Executor `index` died: its unfinished jobs go back through the intake; a
// local one is replaced by a fresh executor on the same backend (or its
// backend retired: replace_local).
void lose(self_ptr self, int index, const std::string& fault) {
  auto& s = self->state;
  auto it = s.executors.find(index);
  if (it == s.executors.end()) return;
  executor_slot slot = std::move(it->second);
  s.executors.erase(it);
  s.watchdog->forget(index);
  self->send(s.stats, lost_atom::value, slot.node);
  if (s.batches) {
    for (request_id id : s.batches->lose_executor(index)) {
      auto t = s.taken.find(id);
      if (t == s.taken.end()) continue;  // as in send_plans
      self->send(s.intake, requeue_atom::value, std::move(t->second), fault);
      s.taken.erase(t);
    }
  }
  if (s.core) {
    for (request_id id : s.core->lose_executor(index)) {
      auto h = s.held.find(id);
      if (h == s.held.end()) continue;  // as in send_plans
      self->send(s.intake, requeue_atom::value, std::move(h->second.j), fault);
      s.held.erase(h);
    }
    s.early.erase(index);
  }
  if (slot.local) replace_local(self, std::move(slot.local));
}

std::string executor_name(int node) {
  return node == 0 ? "local executor" : "remote executor (node " + std::to_string(node) + ")";
}

std::string fault_of(const caf::error& reason, int node) {
  return executor_name(node) + " died: " + error_text(reason);
}

// `slot` ran past its deadline (`why`): hung. It is killed and lost like a
// dead one; a local one's backend gets a fresh executor when the killed one
// exits.
void time_out(self_ptr self, executor_slot& slot, const std::string& why) {
  const std::string fault = executor_name(slot.node) + " " + why;
  if (slot.local) {  // told by a down message, not the link, when it has exited
    self->state.killed.emplace(slot.handle.address(), std::move(slot.local));
    self->unlink_from(slot.handle);
    self->monitor(slot.handle);
  }
  self->send_exit(slot.handle, caf::exit_reason::kill);
  lose(self, slot.index, fault);
}

// Deadline timer `timer` of executor `index` is due: the watchdog says
// whether it is hung, or re-arms.
void on_timer(self_ptr self, int index, std::uint64_t timer) {
  auto it = self->state.executors.find(index);
  if (it == self->state.executors.end()) return;
  const sched::watchdog::verdict v = self->state.watchdog->due(index, timer, now_ns());
  arm(self, v.rearm);
  if (v.hung) time_out(self, it->second, *v.hung);
}

// A local executor killed for its deadline has exited: its backend is free.
bool replace_killed(self_ptr self, const caf::actor_addr& source) {
  auto it = self->state.killed.find(source);
  if (it == self->state.killed.end()) return false;
  auto b = std::move(it->second);
  self->state.killed.erase(it);
  replace_local(self, std::move(b));
  return true;
}

void watch_failures(self_ptr self) {
  self->set_exit_handler([self](caf::exit_msg& m) {
    if (auto index = index_of(self, m.source)) {
      const int node = self->state.executors[*index].node;
      return lose(self, *index, fault_of(m.reason, node));
    }
    if (m.reason) self->quit(m.reason);  // the intake (shutdown), a bin or a link failed
  });
  self->set_down_handler([self](caf::down_msg& m) {
    if (replace_killed(self, m.source)) return;
    if (auto index = index_of(self, m.source)) {
      const int node = self->state.executors[*index].node;
      lose(self, *index, fault_of(m.reason, node));
    }
  });
}

void spawn_children(self_ptr self, scheduler_params& p) {
  auto& s = self->state;
  const auto& bins = s.layout->bins();
  for (size_t b = 0; b < bins.size(); ++b)
    s.bins.push_back(
        spawn_bin_actor(self->system(), {static_cast<int>(b), bins[b], p.policy.max_wait, p.on_bin}, self, s.stats));
  for (auto& b : s.bins) self->link_to(b);
  for (auto& b : p.backends) spawn_local_executor(self, b);
  self->send(s.stats, node_atom::value, 0, std::string("local"), true, static_cast<int>(p.backends.size()),
             std::string());
  executor_params remote = s.each;
  remote.stall_after_n_steps = 0;  // the injected hang is a local executor's
  for (size_t w = 0; w < p.workers.size(); ++w) {
    worker_link_params lp{p.workers[w].host, p.workers[w].port, static_cast<int>(w) + 1, p.fingerprint, remote};
    auto link = spawn_worker_link_actor(self->system(), lp, self, s.intake, s.stats);
    self->link_to(link);
  }
}

// Executor `e`'s static batch has computed `computed` slots so far: progress.
// The stretch since its last report teaches the pace; the deadline restarts.
void on_progress(self_ptr self, int e, std::int64_t computed) {
  auto it = self->state.executors.find(e);
  if (it == self->state.executors.end()) return;  // lost (or timed out) meanwhile
  executor_slot& slot = it->second;
  arm(self, self->state.watchdog->progress(e, computed - slot.reported, now_ns()));
  slot.reported = computed;
}

// Executor `e` finished its static batch, `computed` slots in all.
void on_idle(self_ptr self, int e, std::int64_t computed) {
  auto it = self->state.executors.find(e);
  if (it == self->state.executors.end()) return;  // lost (or timed out) meanwhile
  executor_slot& slot = it->second;
  auto& s = self->state;
  s.watchdog->stop(e, computed - slot.reported, now_ns());
  for (request_id id : s.batches->running(e)) s.taken.erase(id);
  run_actions(self, s.batches->batch_done(e));
}

// True when the current message comes from an executor the scheduler no
// longer has (lost or killed: its jobs were re-queued through the intake).
bool from_dropped_executor(self_ptr self) {
  const auto sender = caf::actor_cast<caf::actor_addr>(self->current_sender());
  return sender != self->state.intake.address() && !index_of(self, sender);
}

void on_join(self_ptr self, int node, int first, std::vector<executor_actor>& executors) {
  auto& s = self->state;
  for (size_t e = 0; e < executors.size(); ++e) {
    const int index = first + static_cast<int>(e);
    self->monitor(executors[e]);
    add_executor(self, index, std::move(executors[e]), nullptr, node);
    if (auto cap = s.early.find(index); cap != s.early.end()) {
      const sched::executor_capacity c = cap->second;
      s.early.erase(cap);
      on_capacity(self, index, c);
    }
  }
}

void cancel(self_ptr self, request_id id) {
  auto& st = self->state;
  if (st.core) {
    st.core->cancel(id);
    st.held.erase(id);
  }
  if (st.batches) {
    st.batches->cancel(id);
    st.taken.erase(id);
  }
  for (auto& b : st.bins) self->send(b, cancel_atom::value, id);
  for (auto& [index, slot] : st.executors) self->send(slot.handle, cancel_atom::value, id);
}

scheduler_actor::behavior_type scheduler_behavior(self_ptr self, scheduler_params p, intake_actor intake,
                                                  stats_actor stats) {
  auto& s = self->state;
  s.policy = p.policy;
  s.layout = std::make_unique<sched::bin_layout>(std::move(p.layout));
  s.intake = std::move(intake);
  s.stats = std::move(stats);
  s.each = {0,
            0,
            s.layout->continuous(),
            p.policy.retry == retry_mode::resume,
            p.policy.max_batch_size,
            p.kill_every_n_steps,
            p.stall_after_n_steps,
            p.stall_ms,
            p.step_delay_ms,
            progress_every_ms(p.deadline)};
  s.watchdog = std::make_unique<sched::watchdog>(p.deadline);
  s.trace = p.trace;
  s.probe = p.probe;
  s.on_arrival = p.on_arrival;
  s.on_plan = p.on_plan;
  s.on_batch = p.on_batch;
  if (s.layout->continuous()) {
    auto made = sched::make_core(p.policy);  // the layout checked the kind
    s.core = std::move(*made);
  } else {
    s.batches = std::make_unique<sched::batch_core>();
  }
  watch_failures(self);
  spawn_children(self, p);
  return {
      [self](job& j) { route(self, std::move(j)); },
      [self](ready_atom, int bin, bool full, std::int64_t oldest, int priority) {
        run_actions(self, self->state.batches->ready(bin, sched::bin_readiness{full, oldest, priority}));
      },
      [self](unready_atom, int bin) { self->state.batches->ready(bin, std::nullopt); },
      [self](retry_atom, job& j) {
        if (from_dropped_executor(self)) return;  // re-queued through the intake already
        if (self->state.batches) self->state.batches->left(j.id);
        self->state.taken.erase(j.id);
        route(self, std::move(j));
      },
      [self](idle_atom, int e, std::int64_t computed) { on_idle(self, e, computed); },
      [self](progress_atom, int e, std::int64_t computed) { on_progress(self, e, computed); },
      [self](capacity_atom, int e, const sched::executor_capacity& cap) { on_capacity(self, e, cap); },
      [self](step_atom, int e, step_report& r) { on_step(self, e, r); },
      [self](cancel_atom, request_id id) { cancel(self, id); },
      [self](join_atom, int node, int first, std::vector<executor_actor>& executors) {
        on_join(self, node, first, executors);
      },
      [self](timeout_atom, int e, std::uint64_t gen) { on_timer(self, e, gen); },
  };
}

}  // namespace

scheduler_actor spawn_scheduler_actor(caf::local_actor* parent, scheduler_params params, intake_actor intake,
                                      stats_actor stats) {
  return parent->spawn<caf::linked>(scheduler_behavior, std::move(params), std::move(intake), std::move(stats));
}

}  // namespace binserve
