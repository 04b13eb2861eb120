// Posts work from binserve's threads (service callbacks) into a server's
// io_context until the server closes the gate; later posts are dropped. Work
// posted through it must hold connections by weak_ptr only, so that a
// dropped or late callback never keeps a connection alive off the io thread.
// Thread-safe.
#pragma once

#include <functional>
#include <mutex>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace binserve::net {

class io_gate {
 public:
  explicit io_gate(boost::asio::io_context& io) : io_(&io) {}

  void post(std::function<void()> f) noexcept {
    try {
      const std::lock_guard lock(m_);
      if (io_ != nullptr) boost::asio::post(*io_, std::move(f));
    } catch (...) {  // out of memory: the event is lost, the server goes on
    }
  }

  void close() {
    const std::lock_guard lock(m_);
    io_ = nullptr;
  }

 private:
  std::mutex m_;
  boost::asio::io_context* io_;
};

}  // namespace binserve::net
