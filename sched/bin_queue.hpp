// The waiting requests of one bin and when they may leave as a batch. Every
// batch is pulled, none pushed: the bin is `full` once it holds its
// threshold, or `expired` once its oldest request has waited max_wait, and
// the scheduler takes a batch (`take`) only when an executor is idle, so a
// request that arrives while the bin is full can still join the next batch
// (see ready_bins.hpp for which bin is taken). A take picks round-robin
// across clients (fair_queue.hpp): one client's flood does not fill the
// batch ahead of another's request, and a single client is served FIFO.
// Pure (no CAF): the bin actor and the simulator both drive it. Not
// thread-safe; one owner (a bin actor, or the simulation).
#pragma once

#include <cstdint>
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

  // Adds `j` of client `client`, arrived at time `now` (any monotonic unit).
  void push(const std::string& client, Job j, std::int64_t now) { waiting_.push(client, std::move(j), now); }

  // True when it holds at least a batch (its threshold).
  bool full() const { return waiting_.size() >= spec_.batch_size; }

  // True when the oldest request arrived at or before `deadline`
  // (= now - max_wait): the bin holds an expired partial batch.
  bool expired(std::int64_t deadline) const {
    const auto first = waiting_.oldest();
    return first && *first <= deadline;
  }

  // What the scheduler should know of it (ready_bins): full when it holds a
  // batch; else, when `check_expiry`, expired if its oldest request arrived
  // at or before `deadline` (= now - max_wait); else nothing.
  std::optional<bin_readiness> readiness(std::int64_t deadline, bool check_expiry) const {
    const std::optional<std::int64_t> first = waiting_.oldest();
    if (!first) return std::nullopt;
    if (full()) return bin_readiness{true, *first};
    if (check_expiry && expired(deadline)) return bin_readiness{false, *first};
    return std::nullopt;
  }

  // The pull: up to a batch, round-robin across clients starting with the
  // client whose oldest request is oldest (empty when nothing waits).
  std::vector<Job> take() { return waiting_.pop_round(spec_.batch_size); }

  // Arrival time of the oldest waiting request.
  std::optional<std::int64_t> oldest() const { return waiting_.oldest(); }

  // Removes the requests `pred` selects; returns how many.
  template <class Pred>
  int remove_if(Pred pred) {
    return waiting_.remove_if(pred);
  }

  int size() const { return waiting_.size(); }
  const bin_spec& spec() const { return spec_; }

 private:
  bin_spec spec_;
  fair_queue<Job> waiting_;
};

}  // namespace binserve::sched
