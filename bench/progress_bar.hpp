// A one-line progress bar on stderr for a long command: a title, a bar,
// completed/total, completions per second so far and the elapsed time.
//
// Its own thread redraws the line every 200 ms from a counter that any
// thread may bump with add(); the destructor draws the final state and ends
// the line. Owned by the command that shows it.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace binserve::tools {

class progress_bar {
 public:
  // Starts drawing `title` with `total` items to go. Precondition: total > 0.
  progress_bar(std::string title, int total);
  ~progress_bar();
  progress_bar(const progress_bar&) = delete;
  progress_bar& operator=(const progress_bar&) = delete;

  // One more item completed (thread-safe).
  void add() { completed_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void draw() const;

  const std::string title_;
  const int total_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::atomic<int> completed_{0};
  std::jthread drawer_;  // last: it reads the members above
};

}  // namespace binserve::tools
