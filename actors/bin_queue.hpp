// The waiting requests of one bin and its emission rule: a batch when the
// bin holds its threshold, or a partial one once its oldest request has
// waited max_wait (so light load never stalls and no request waits forever).
// Pure (no CAF): the bin actor and the simulator both drive it.
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

  // Up to a batch of the oldest requests, if the oldest arrived at or before
  // `deadline` (= now - max_wait), else nothing.
  std::optional<std::vector<Job>> take_expired(std::int64_t deadline) {
    if (waiting_.empty() || waiting_.front().arrived > deadline) return std::nullopt;
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
