// A raw TCP test client of binserve's line protocol: writes bytes, reads one
// JSON line at a time with a timeout.
#pragma once

#include <string>
#include <utility>

#include <sys/socket.h>

#include <gtest/gtest.h>
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

namespace binserve::testing {

namespace line_socket_detail {
namespace asio = boost::asio;
using asio::ip::tcp;
using json = nlohmann::json;

// A raw loopback connection that reads one JSON line at a time, with a timeout.
class line_socket {
 public:
  // Connects to 127.0.0.1:port, from `source` (e.g. 127.0.0.2) when not empty.
  explicit line_socket(int port, const std::string& source = "") {
    if (!source.empty()) {
      socket_.open(tcp::v4());
      socket_.bind({asio::ip::make_address(source), 0});
    }
    socket_.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  }

  void send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

  // The next line as JSON; null on timeout, disconnect or bad JSON.
  json read() {
    bool done = false;
    boost::system::error_code err;
    std::size_t n = 0;
    asio::async_read_until(socket_, asio::dynamic_buffer(buffer_), '\n',
                           [&](boost::system::error_code ec, std::size_t k) { err = ec, n = k, done = true; });
    io_.restart();
    io_.run_for(std::chrono::seconds(20));
    if (!done) {
      socket_.cancel();
      io_.restart();
      io_.run();
      ADD_FAILURE() << "no line from the server within 20 s";
      return nullptr;
    }
    if (err) return nullptr;
    const auto line = buffer_.substr(0, n - 1);
    buffer_.erase(0, n);
    return json::parse(line, nullptr, false);
  }

  void close() { socket_.close(); }

  // Writes `bytes` with plain send(2) calls: safe from another thread while
  // this one reads (no Asio state is touched).
  void send_raw(const std::string& bytes) {
    for (std::size_t at = 0; at < bytes.size();) {
      const ssize_t n = ::send(socket_.native_handle(), bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
      if (n <= 0) return;
      at += static_cast<std::size_t>(n);
    }
  }

 private:
  asio::io_context io_;
  tcp::socket socket_{io_};
  std::string buffer_;
};

}  // namespace line_socket_detail

using line_socket_detail::line_socket;

}  // namespace binserve::testing
