// A TCP peer on loopback that accepts one connection, reads everything and
// never answers: what a client must report as lost requests.
#pragma once

#include <array>
#include <thread>
#include <utility>  // before Boost.Asio: 1.74's awaitable.hpp uses std::exchange

#include <boost/asio.hpp>

namespace binserve::testing {

class silent_peer {
 public:
  silent_peer() : thread_([this] { serve(); }) {}
  ~silent_peer() { thread_.join(); }  // ends when the client closes its connection
  silent_peer(const silent_peer&) = delete;
  silent_peer& operator=(const silent_peer&) = delete;

  int port() const { return acceptor_.local_endpoint().port(); }

 private:
  void serve() {
    acceptor_.accept(peer_);
    std::array<char, 4096> sink;
    boost::system::error_code ec;
    while (!ec) peer_.read_some(boost::asio::buffer(sink), ec);
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_, {boost::asio::ip::make_address("127.0.0.1"), 0}};
  boost::asio::ip::tcp::socket peer_{io_};
  std::thread thread_;  // last: starts once the acceptor listens
};

}  // namespace binserve::testing
