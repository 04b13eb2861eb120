// The bins that hold an expired partial batch (bin_queue::expired), as the
// scheduler knows them, and the order it pulls them in: the bin whose oldest
// request arrived first, so no request waits behind a younger one. A partial
// batch is pulled only when an executor is idle and no full batch is ready.
// Pure (no CAF): the scheduler actor and the simulator both keep one. Not
// thread-safe; one owner.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

namespace binserve {

class expired_bins {
 public:
  // Bin `bin` holds an expired partial batch whose oldest request arrived at
  // `oldest` (any monotonic unit); replaces what was known of it.
  void set(int bin, std::int64_t oldest) { oldest_[bin] = oldest; }

  // Bin `bin` holds no expired request (emptied, or its expired requests left
  // in a batch); a bin not held is ignored.
  void drop(int bin) { oldest_.erase(bin); }

  bool contains(int bin) const { return oldest_.count(bin) > 0; }
  bool empty() const { return oldest_.empty(); }

  // Removes and returns the bin whose oldest request arrived first (ties: the
  // lowest index), or nothing when no bin is held.
  std::optional<int> pop_oldest() {
    if (oldest_.empty()) return std::nullopt;
    auto best = oldest_.begin();
    for (auto it = oldest_.begin(); it != oldest_.end(); ++it)
      if (it->second < best->second) best = it;
    const int bin = best->first;
    oldest_.erase(best);
    return bin;
  }

 private:
  std::map<int, std::int64_t> oldest_;  // bin -> arrival of its oldest request
};

}  // namespace binserve
