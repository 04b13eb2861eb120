#include "sched/core.hpp"

#include <algorithm>

namespace binserve::sched {

int estimate_after(int predicted, int generated, int max_new_tokens) {
  int p = std::max(1, predicted);
  while (p <= generated && p < max_new_tokens) p = std::min(max_new_tokens, 2 * p);
  return p;
}

namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

}  // namespace

status_or<std::unique_ptr<core>> make_core(const policy_config& config) {
  auto p = make_policy(config);
  if (!p.ok()) return p.error();
  const core_options o{config.max_wait_steps, config.max_preemptions, config.kv_reserve == kv_admission::predicted};
  return std::make_unique<core>(std::move(*p), o);
}

core::core(std::unique_ptr<policy> p, const core_options& options) : policy_(std::move(p)), options_(options) {}

std::vector<step_plan> core::add_executor(int e, const executor_capacity& capacity, time_ns now) {
  executors_[e] = executor{capacity, false};
  return plan_idle(now);
}

std::vector<request_id> core::lose_executor(int e) {
  std::vector<request_id> held;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.home != e) {
      ++it;
      continue;
    }
    held.push_back(it->first);
    it = entries_.erase(it);
  }
  executors_.erase(e);
  return held;
}

std::vector<step_plan> core::arrive(const arrival& a, time_ns now) {
  enqueue(a, now);
  return plan_idle(now);
}

void core::enqueue(const arrival& a, time_ns now) {
  entry& en = entries_[a.id];
  en = entry{};
  en.a = a;
  en.a.max_new_tokens = std::max(1, a.max_new_tokens);
  en.a.predicted = std::clamp(a.predicted, 1, en.a.max_new_tokens);
  en.generated = a.generated;
  en.order = arrivals_++;
  en.arrived = now;
}

std::vector<step_plan> core::step_done(int e, std::span<const progress> live, std::span<const request_id> ended,
                                       time_ns now) {
  auto x = executors_.find(e);
  if (x == executors_.end()) return {};
  x->second.busy = false;
  for (request_id id : ended) {
    auto it = entries_.find(id);
    if (it != entries_.end() && it->second.home == e) entries_.erase(it);
  }
  for (const progress& p : live) {
    auto it = entries_.find(p.id);
    if (it == entries_.end() || it->second.home != e) continue;
    entry& en = it->second;
    en.generated = p.generated;
    if (const int fresh = estimate_after(en.a.predicted, en.generated, en.a.max_new_tokens); fresh != en.a.predicted) {
      en.a.predicted = fresh;
      ++counters_.reestimates;
    }
  }
  for (auto& [id, en] : entries_)
    if (!en.live) ++en.waited_steps;
  std::vector<step_plan> out;
  if (step_plan p = plan(e, now); !p.empty()) out.push_back(std::move(p));
  for (step_plan& p : plan_idle(now)) out.push_back(std::move(p));
  return out;
}

void core::cancel(request_id id) { entries_.erase(id); }

void core::predicted(request_id id, int length) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  it->second.a.predicted = std::clamp(length, 1, it->second.a.max_new_tokens);
}

int core::waiting() const {
  return static_cast<int>(
      std::count_if(entries_.begin(), entries_.end(), [](const auto& kv) { return !kv.second.live; }));
}

int core::live_on(int e) const {
  return static_cast<int>(std::count_if(entries_.begin(), entries_.end(),
                                        [e](const auto& kv) { return kv.second.live && kv.second.home == e; }));
}

std::vector<step_plan> core::plan_idle(time_ns now) {
  std::vector<step_plan> out;
  for (auto& [e, x] : executors_) {
    if (x.busy) continue;
    if (step_plan p = plan(e, now); !p.empty()) out.push_back(std::move(p));
  }
  return out;
}

int core::reserve_for(const executor& x, const entry& en) const {
  const int out_tokens = options_.reserve_predicted
                             ? std::min(en.a.max_new_tokens, std::max(en.a.predicted, en.generated) + x.cap.block_size)
                             : en.a.max_new_tokens;
  const int tokens = en.a.prompt_tokens + out_tokens;
  return x.cap.n_ctx > 0 ? std::min(tokens, x.cap.n_ctx) : tokens;
}

// Blocks the sequence holds after its next step: its reservation, or its
// positions once past it (counting the token the step appends).
std::int64_t core::blocks_of(const executor& x, const entry& en, int reserve) const {
  std::int64_t positions = std::max(reserve, en.a.prompt_tokens + en.generated);
  if (x.cap.n_ctx > 0) positions = std::min<std::int64_t>(positions, x.cap.n_ctx);
  return ceil_div(positions, x.cap.block_size);
}

void core::preempt(entry& en, bool keep, step_plan& out) {
  en.live = false;
  ++en.preemptions;
  ++counters_.preemptions;
  if (keep) {
    ++counters_.parked;
    out.park.push_back(en.a.id);
    return;
  }
  out.evict.push_back(en.a.id);
  en.home = -1;
  en.evicted = true;
}

// The candidates for executor e's next step (what runs or is parked there,
// and what waits unbound) in the order of the header: priority class,
// starvation guard, the policy's key, running before waiting (preemptive),
// arrival; then the pinned ones (live ones a policy may not preempt) moved
// to the front, keeping that order.
std::vector<core::entry*> core::rank(int e, time_ns now) {
  struct cand {
    entry* en;
    bool starved;
    double key;
  };
  std::vector<entry*> waiting_in_order;
  for (auto& [id, en] : entries_)
    if (!en.live) waiting_in_order.push_back(&en);
  std::sort(waiting_in_order.begin(), waiting_in_order.end(),
            [](const entry* a, const entry* b) { return a->order < b->order; });
  std::map<std::string, int> per_client;
  std::map<const entry*, int> position;
  for (const entry* en : waiting_in_order) position[en] = per_client[en->a.client]++;
  std::vector<cand> pool;
  for (auto& [id, en] : entries_) {
    if (en.home != e && en.home >= 0) continue;
    candidate c{en.a.predicted, en.generated, en.a.max_new_tokens, en.live ? 0 : position[&en],
                double(now - en.arrived) / 1e9};
    const bool starved = options_.max_wait_steps > 0 && !en.live && en.waited_steps >= options_.max_wait_steps;
    pool.push_back({&en, starved, policy_->key(c)});
  }
  const bool preemptive = policy_->preemptive();
  std::sort(pool.begin(), pool.end(), [preemptive](const cand& a, const cand& b) {
    if (a.en->a.priority != b.en->a.priority) return a.en->a.priority > b.en->a.priority;
    if (a.starved != b.starved) return a.starved;
    if (a.key != b.key) return a.key < b.key;
    if (preemptive && a.en->live != b.en->live) return a.en->live;
    return a.en->order < b.en->order;
  });
  std::stable_partition(pool.begin(), pool.end(), [&](const cand& c) {
    return c.en->live && (!preemptive || c.en->promoted || c.en->preemptions >= options_.max_preemptions);
  });
  std::vector<entry*> out;
  for (const cand& c : pool) out.push_back(c.en);
  return out;
}

// The target live set of executor e: in rank order, while slots and KV
// blocks last; after a waiting candidate that does not fit, no other waiting
// one (it is not overtaken for its size). Live ones that do not fit are left
// out (preempted). Returns the blocks the set holds through `used`.
std::vector<core::entry*> core::choose(const executor& x, int e, const std::vector<entry*>& ranked,
                                       std::int64_t& used) const {
  const bool budgeted = x.cap.kv_blocks > 0;
  std::vector<entry*> target;
  bool blocked = false;  // a waiting one did not fit: none after it is admitted
  for (entry* c : ranked) {
    entry& en = *c;
    const bool resident = en.home == e;
    const int reserve = resident ? en.reserve : reserve_for(x, en);
    const std::int64_t need = blocks_of(x, en, reserve);
    const bool slot = static_cast<int>(target.size()) < x.cap.max_live;
    // An empty executor takes its best candidate whatever its size: the
    // backend then refuses what can never fit, and the request ends.
    const bool fits = !budgeted || used + need <= x.cap.kv_blocks || target.empty();
    if (slot && fits && (en.live || !blocked)) {
      used += need;
      target.push_back(&en);
      continue;
    }
    if (!en.live && !resident) blocked = true;
  }
  return target;
}

step_plan core::plan(int e, time_ns now) {
  executor& x = executors_.at(e);
  step_plan out;
  out.executor = e;
  const std::vector<entry*> ranked = rank(e, now);
  if (ranked.empty()) return out;
  std::int64_t used = 0;
  const std::vector<entry*> target = choose(x, e, ranked, used);
  const bool budgeted = x.cap.kv_blocks > 0;
  // Preempted live ones and parked ones keep their blocks while the rest of
  // the budget holds them (best first), else are evicted.
  std::int64_t spare = budgeted ? x.cap.kv_blocks - used : 0;
  for (entry* c : ranked) {
    entry& en = *c;
    if (en.home != e || std::find(target.begin(), target.end(), &en) != target.end()) continue;
    const std::int64_t held = blocks_of(x, en, en.reserve);
    const bool keep = !budgeted || held <= spare;
    if (keep && budgeted) spare -= held;
    if (en.live) {
      preempt(en, keep, out);
    } else if (!keep) {
      out.evict.push_back(en.a.id);
      en.home = -1;
      en.evicted = true;
    }
  }
  for (entry* en : target) {
    if (en->live) continue;
    admission a{en->a.id, 0, en->home == e, 0};
    if (!a.parked) {
      en->reserve = reserve_for(x, *en);
      a.reserve_tokens = en->reserve;
      if (en->evicted) {
        a.recompute = en->generated;
        counters_.recomputed_tokens += en->a.prompt_tokens + en->generated;
      }
    }
    en->promoted = en->promoted || (options_.max_wait_steps > 0 && en->waited_steps >= options_.max_wait_steps);
    en->home = e;
    en->live = true;
    en->evicted = false;
    en->waited_steps = 0;
    out.admit.push_back(a);
  }
  out.step = !target.empty();
  x.busy = out.step;
  return out;
}

}  // namespace binserve::sched
