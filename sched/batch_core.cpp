#include "sched/batch_core.hpp"

#include <algorithm>

namespace binserve::sched {

batch_actions batch_core::add_executor(int e) {
  executors_[e] = executor{};
  return dispatch();
}

std::vector<request_id> batch_core::lose_executor(int e) {
  auto it = executors_.find(e);
  if (it == executors_.end()) return {};
  std::vector<request_id> held = std::move(it->second.running);
  executors_.erase(it);
  return held;
}

batch_actions batch_core::ready(int bin, std::optional<bin_readiness> r) {
  if (!r) {
    ready_.drop(bin);
    return {};
  }
  ready_.set(bin, *r);
  return dispatch();
}

batch_actions batch_core::pulled(int bin, int cap, std::vector<request_id> ids) {
  --pulls_;
  if (!ids.empty()) pulled_.push_back(batch_run{-1, bin, cap, std::move(ids)});
  return dispatch();
}

batch_actions batch_core::batch_done(int e) {
  auto it = executors_.find(e);
  if (it == executors_.end()) return {};
  it->second.idle = true;
  it->second.running.clear();
  return dispatch();
}

void batch_core::left(request_id id) {
  for (auto& [e, x] : executors_) std::erase(x.running, id);
}

void batch_core::cancel(request_id id) {
  left(id);
  for (batch_run& b : pulled_) std::erase(b.ids, id);
  std::erase_if(pulled_, [](const batch_run& b) { return b.ids.empty(); });
}

std::vector<request_id> batch_core::running(int e) const {
  auto it = executors_.find(e);
  return it == executors_.end() ? std::vector<request_id>{} : it->second.running;
}

int batch_core::idle_executors() const {
  return static_cast<int>(
      std::count_if(executors_.begin(), executors_.end(), [](const auto& x) { return x.second.idle; }));
}

// Taken batches, in the order they were answered, to the idle executor that
// has waited longest; then takes for those still idle.
batch_actions batch_core::dispatch() {
  batch_actions out;
  while (!pulled_.empty()) {
    auto best = executors_.end();
    for (auto it = executors_.begin(); it != executors_.end(); ++it)
      if (it->second.idle && (best == executors_.end() || it->second.last_dispatch < best->second.last_dispatch))
        best = it;
    if (best == executors_.end()) return out;
    best->second.idle = false;
    best->second.last_dispatch = ++dispatches_;
    batch_run r = std::move(pulled_.front());
    pulled_.pop_front();
    r.executor = best->first;
    best->second.running = r.ids;
    out.run.push_back(std::move(r));
  }
  while (pulls_ < idle_executors()) {
    const std::optional<int> bin = ready_.pop_next();
    if (!bin) break;
    ++pulls_;
    out.take.push_back(*bin);
  }
  return out;
}

}  // namespace binserve::sched
