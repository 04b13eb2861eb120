// The waiting requests of one bin and its emission rule. Full batches are
// pushed: a batch as soon as the bin holds its threshold. Partial batches are
// pulled: once the oldest request has waited max_wait the bin is `expired`,
// and the scheduler takes its oldest requests (`take_oldest`) only when an
// executor is idle, so light load never stalls while a busy service is not
// flooded with small batches (see expired_bins.hpp for the pull order).
// Pure (no CAF): the bin actor and the simulator both drive it. Not
// thread-safe; one owner (a bin actor, or the simulation).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "actors/bin_layout.hpp"

namespace binserve {

template <class Job>
class bin_queue {
 public:
  explicit bin_queue(bin_spec spec) : spec_(spec) {}

  // Adds `j`, arrived at time `now` (any monotonic unit).
  void push(Job j, std::int64_t now) { waiting_.push_back({std::move(j), now}); }

  // A full batch if the threshold is reached, else nothing.
  std::optional<std::vector<Job>> take_full() {
    if (static_cast<int>(waiting_.size()) < spec_.batch_size) return std::nullopt;
    return take(spec_.batch_size);
  }

  // True when the oldest request arrived at or before `deadline`
  // (= now - max_wait): the bin holds an expired partial batch.
  bool expired(std::int64_t deadline) const {
    return !waiting_.empty() && waiting_.front().arrived <= deadline;
  }

  // The pull: up to a batch of the oldest requests, expired or not (empty
  // when nothing waits).
  std::vector<Job> take_oldest() {
    return take(std::min<int>(spec_.batch_size, static_cast<int>(waiting_.size())));
  }

  // Arrival time of the oldest waiting request.
  std::optional<std::int64_t> oldest() const {
    if (waiting_.empty()) return std::nullopt;
    return waiting_.front().arrived;
  }

  // Removes the requests `pred` selects; returns how many.
  template <class Pred>
  int remove_if(Pred pred) {
    const size_t before = waiting_.size();
    std::erase_if(waiting_, [&](const entry& e) { return pred(e.job); });
    return static_cast<int>(before - waiting_.size());
  }

  int size() const { return static_cast<int>(waiting_.size()); }
  const bin_spec& spec() const { return spec_; }

 private:
  struct entry {
    Job job;
    std::int64_t arrived;
  };
  std::vector<Job> take(int n) {
    std::vector<Job> out;
    out.reserve(n);
    for (int i = 0; i < n; ++i) {
      out.push_back(std::move(waiting_.front().job));
      waiting_.pop_front();
    }
    return out;
  }

  bin_spec spec_;
  std::deque<entry> waiting_;
};

}  // namespace binserve
