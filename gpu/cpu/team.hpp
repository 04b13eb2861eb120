// The OpenMP team that runs one forward pass: the region is forked once per
// forward and its steps are separated by barriers, rather than forked at each
// matrix product (here a fork and join costs about 3 us, a barrier 1.3 us, and
// a small model's whole decode step 0.5 ms: docs/benchmarks.md). Within a
// step, members take work items as they become free rather than equal shares
// fixed in advance: a core that is slower (a busy hyperthread sibling on a
// shared host, an efficiency core) then simply does fewer.
//
// Debian's libgomp is not built with -fsanitize=thread, so TSan cannot see
// that its fork, barriers and join order the threads' memory. In a TSan build
// they state those edges themselves (docs/reliability.md); elsewhere the
// statements compile to nothing.
#pragma once

#include <omp.h>

#include <atomic>
#include <cassert>
#include <span>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace binserve::cpu {

inline void tsan_release([[maybe_unused]] void* sync) {
#if defined(__SANITIZE_THREAD__)
  __tsan_release(sync);
#endif
}

inline void tsan_acquire([[maybe_unused]] void* sync) {
#if defined(__SANITIZE_THREAD__)
  __tsan_acquire(sync);
#endif
}

// One thread's place in the team.
class team_member {
 public:
  team_member(int index, int size, std::span<std::atomic<int>> loops, char* edge)
      : index_(index), size_(size), loops_(loops), edge_(edge) {}

  int index() const { return index_; }  // 0 .. size() - 1
  int size() const { return size_; }

  // The team's next shared loop: every member calls this at the same points
  // of the same steps, so the k-th call of each names the same loop. Its
  // iterations go to whoever asks first:
  //   auto loop = me.next_loop();
  //   for (int i; (i = loop.take()) < n;) work(i);
  class loop {
   public:
    explicit loop(std::atomic<int>& next) : next_(next) {}
    int take() { return next_.fetch_add(1, std::memory_order_relaxed); }

   private:
    std::atomic<int>& next_;
  };
  loop next_loop() {
    assert(loops_taken_ < loops_.size());
    return loop(loops_[loops_taken_++]);
  }

  // Returns when every member has called it: what each wrote before is then
  // visible to all.
  void barrier() const {
    tsan_release(edge_);
#pragma omp barrier
    tsan_acquire(edge_);
  }

 private:
  int index_, size_;
  std::span<std::atomic<int>> loops_;
  std::size_t loops_taken_ = 0;
  char* edge_;
};

// Runs body(member) on `threads` threads (on this one when 1), with
// `loops` as the counters of at most loops.size() shared loops.
template <class Body>
void run_team(int threads, std::span<std::atomic<int>> loops, Body&& body) {
  for (std::atomic<int>& l : loops) l.store(0, std::memory_order_relaxed);
  char fork = 0, join = 0, edge = 0;  // addresses for TSan's edges only
  tsan_release(&fork);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    tsan_acquire(&fork);
    team_member me(omp_get_thread_num(), omp_get_num_threads(), loops, &edge);
    body(me);
    tsan_release(&join);
  }
  tsan_acquire(&join);
}

}  // namespace binserve::cpu
