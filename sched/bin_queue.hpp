// The waiting requests of one bin and when they may leave as a batch. Every
// batch is pulled, none pushed: the bin is `full` once it holds its
// threshold, or `expired` once its oldest request has waited max_wait, and
// the scheduler takes a batch (`take`) only when an executor is idle, so a
// request that arrives while the bin is full can still join the next batch
// (see ready_bins.hpp for which bin is taken). A take picks round-robin
// across clients (fair_queue.hpp): one client's flood does not fill the
// batch ahead of another's request, and a single client is served FIFO.
// Priority classes (request::priority) come first: a take empties the
// highest class before it takes from a lower one, round-robin across
// clients within each, and the scheduler takes from the bin holding the
// highest class first (ready_bins).
// Pure (no CAF): the bin actor and the simulator both drive it. Not
// thread-safe; one owner (a bin actor, or the simulation).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sched/bin_layout.hpp"
#include "sched/fair_queue.hpp"
#include "sched/ready_bins.hpp"

namespace binserve::sched {

template <class Job>
class bin_queue {
 public:
  explicit bin_queue(bin_spec spec) : spec_(spec) {}

  // Adds `j` of client `client` in class `priority`, arrived at time `now`
  // (any monotonic unit).
  void push(const std::string& client, Job j, std::int64_t now, int priority = 0) {
    classes_[priority].push(client, std::move(j), now);
  }

  // True when it holds at least a batch (its threshold).
  bool full() const { return size() >= spec_.batch_size; }

  // True when the oldest request arrived at or before `deadline`
  // (= now - max_wait): the bin holds an expired partial batch.
  bool expired(std::int64_t deadline) const {
    const auto first = oldest();
    return first && *first <= deadline;
  }

  // What the scheduler should know of it (ready_bins): full when it holds a
  // batch; else, when `check_expiry`, expired if its oldest request arrived
  // at or before `deadline` (= now - max_wait); else nothing. With the
  // highest priority class waiting.
  std::optional<bin_readiness> readiness(std::int64_t deadline, bool check_expiry) const {
    const std::optional<std::int64_t> first = oldest();
    if (!first) return std::nullopt;
    const int top = classes_.begin()->first;
    if (full()) return bin_readiness{true, *first, top};
    if (check_expiry && expired(deadline)) return bin_readiness{false, *first, top};
    return std::nullopt;
  }

  // The pull: up to a batch, the highest class first, round-robin across
  // clients within a class starting with the client whose oldest request is
  // oldest (empty when nothing waits).
  std::vector<Job> take() {
    std::vector<Job> out;
    for (auto it = classes_.begin(); it != classes_.end() && static_cast<int>(out.size()) < spec_.batch_size;) {
      for (Job& j : it->second.pop_round(spec_.batch_size - static_cast<int>(out.size()))) out.push_back(std::move(j));
      it = it->second.empty() ? classes_.erase(it) : std::next(it);
    }
    return out;
  }

  // Arrival time of the oldest waiting request, of any class.
  std::optional<std::int64_t> oldest() const {
    std::optional<std::int64_t> first;
    for (const auto& [priority, q] : classes_)
      if (auto o = q.oldest(); o && (!first || *o < *first)) first = o;
    return first;
  }

  // Removes the requests `pred` selects; returns how many.
  template <class Pred>
  int remove_if(Pred pred) {
    int removed = 0;
    for (auto it = classes_.begin(); it != classes_.end();) {
      removed += it->second.remove_if(pred);
      it = it->second.empty() ? classes_.erase(it) : std::next(it);
    }
    return removed;
  }

  int size() const {
    int n = 0;
    for (const auto& [priority, q] : classes_) n += q.size();
    return n;
  }
  const bin_spec& spec() const { return spec_; }

 private:
  bin_spec spec_;
  std::map<int, fair_queue<Job>, std::greater<>> classes_;  // by priority, highest first; none empty
};

}  // namespace binserve::sched
