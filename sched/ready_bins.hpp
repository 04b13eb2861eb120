// The bins that hold a batch the scheduler may take (bin_queue), as the
// scheduler knows them, and the order it takes them in when an executor is
// idle: the bin holding the highest priority class first; then a full bin,
// the one whose oldest request arrived first; else
// the expired bin whose oldest request arrived first; so no request waits
// behind a younger one of its kind, and full batches run before partial ones.
// Bins that tie (requests that arrived together) go in the order they became
// ready, so a bin taken from goes behind the others that tie with it.
// Pure (no CAF): the scheduler actor and the simulator both keep one. Not
// thread-safe; one owner.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

namespace binserve::sched {

// What a bin reports: it holds a full batch, or (full = false) an expired
// partial one; `oldest` is the arrival of its oldest request (any monotonic
// unit).
struct bin_readiness {
  bool full = false;
  std::int64_t oldest = 0;
  int priority = 0;  // the highest class waiting
  bool operator==(const bin_readiness&) const = default;
};

class ready_bins {
 public:
  // Bin `bin` is ready as `r` says; replaces what was known of it (a bin
  // already held keeps its place among ties).
  void set(int bin, bin_readiness r) {
    auto [it, added] = ready_.try_emplace(bin, held{r, next_seq_});
    if (added)
      ++next_seq_;
    else
      it->second.r = r;
  }

  // Bin `bin` holds nothing to take (emptied, or neither full nor expired);
  // a bin not held is ignored.
  void drop(int bin) { ready_.erase(bin); }

  bool contains(int bin) const { return ready_.count(bin) > 0; }
  bool empty() const { return ready_.empty(); }

  // Removes and returns the bin to take from next: among the bins holding
  // the highest class, the full bin whose oldest request arrived first, else
  // the expired bin whose oldest request arrived first (ties: the one held
  // longest); nothing when no bin is held.
  std::optional<int> pop_next() {
    if (ready_.empty()) return std::nullopt;
    auto best = ready_.begin();
    for (auto it = ready_.begin(); it != ready_.end(); ++it)
      if (before(it->second, best->second)) best = it;
    const int bin = best->first;
    ready_.erase(best);
    return bin;
  }

 private:
  struct held {
    bin_readiness r;    // what it last reported
    std::uint64_t seq;  // when it became ready (set while not held)
  };
  static bool before(const held& a, const held& b) {
    if (a.r.priority != b.r.priority) return a.r.priority > b.r.priority;
    if (a.r.full != b.r.full) return a.r.full;
    return a.r.oldest != b.r.oldest ? a.r.oldest < b.r.oldest : a.seq < b.seq;
  }

  std::map<int, held> ready_;  // by bin
  std::uint64_t next_seq_ = 0;
};

}  // namespace binserve::sched
