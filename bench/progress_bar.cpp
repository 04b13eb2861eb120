#include "bench/progress_bar.hpp"

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <utility>

namespace binserve::tools {

progress_bar::progress_bar(std::string title, int total) : title_(std::move(title)), total_(total) {
  drawer_ = std::jthread([this](std::stop_token stop) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    while (!stop.stop_requested()) {
      cv.wait_for(lock, stop, std::chrono::milliseconds(200), [] { return false; });
      if (!stop.stop_requested()) draw();
    }
  });
}

progress_bar::~progress_bar() {
  drawer_.request_stop();
  drawer_.join();
  draw();
  std::fputc('\n', stderr);
}

// "\r[3/12] sequence  [#########...........]  120/256  45.1 req/s  2.7 s"
void progress_bar::draw() const {
  constexpr int kWidth = 30;
  const int done = completed_.load(std::memory_order_relaxed);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const int filled = static_cast<int>(static_cast<long long>(kWidth) * done / total_);
  const std::string bar = std::string(filled, '#') + std::string(kWidth - filled, '.');
  std::fprintf(stderr, "\r%s  [%s]  %d/%d  %.1f req/s  %.1f s  ", title_.c_str(), bar.c_str(), done, total_,
               elapsed > 0 ? done / elapsed : 0.0, elapsed);
  std::fflush(stderr);
}

}  // namespace binserve::tools
