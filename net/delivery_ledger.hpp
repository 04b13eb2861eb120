// The requests a server has accepted and not yet delivered: what a lossless
// drain waits for. A request is opened when the server submits it and
// closed once its final answer has been written to its client (or its
// client is gone). Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace binserve::net {

class delivery_ledger {
 public:
  // Records an accepted request; false (nothing recorded) once draining:
  // the server answers it with shutting_down instead.
  [[nodiscard]] bool open() {
    const std::lock_guard lock(m_);
    if (draining_) return false;
    ++open_;
    return true;
  }

  // Its final answer was delivered, or its client went away.
  void close() {
    const std::lock_guard lock(m_);
    if (--open_ == 0) idle_.notify_all();
  }

  // From now on open() refuses. Idempotent.
  void begin_drain() {
    const std::lock_guard lock(m_);
    draining_ = true;
  }

  bool draining() const {
    const std::lock_guard lock(m_);
    return draining_;
  }

  // Waits until nothing is open or `timeout` passed; returns how many are
  // still open.
  int wait_delivered(std::chrono::steady_clock::duration timeout) {
    std::unique_lock lock(m_);
    idle_.wait_for(lock, timeout, [this] { return open_ == 0; });
    return open_;
  }

 private:
  mutable std::mutex m_;
  std::condition_variable idle_;
  int open_ = 0;
  bool draining_ = false;
};

}  // namespace binserve::net
