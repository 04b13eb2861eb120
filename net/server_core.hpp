// The lifecycle both network front ends share (net/tcp_server.hpp,
// net/http_server.hpp): one io thread, an acceptor, the admission of each
// connection (net/connection_table.hpp), the registry of open connections,
// and the lossless drain and stop of net/front_end.hpp.
//
//   start (listen, run) -> [begin_drain -> wait_drained] -> stop
//
// `Shared` is what a server's connections share: it has the members of
// shared_state below and is constructed from the core's arguments plus the
// io_context. `Connection` is one connection:
//   Connection(tcp::socket, Shared&, connection_id); void start();
//   void cut();    // the drain timed out: end what is in flight with an error
//   void close();  // close now, cancelling what is in flight
//   static void refuse(tcp::socket, Shared&, connection_table::verdict);
// Connections live in Shared::connections while open and are touched on the
// io thread only.
#pragma once

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio.hpp>

#include "binserve/service.hpp"
#include "binserve/status.hpp"
#include "net/connection_table.hpp"
#include "net/delivery_ledger.hpp"
#include "net/front_end.hpp"
#include "net/io_gate.hpp"
#include "net/server_config.hpp"

namespace binserve::net {

// The members every Shared has.
template <class Connection>
struct shared_state {
  shared_state(service& s, const server_config& c, boost::asio::io_context& io)
      : svc(s),
        config(c),
        gate(std::make_shared<io_gate>(io)),
        table({c.max_connections, c.max_connections_per_address}) {}

  service& svc;
  const server_config config;
  std::shared_ptr<io_gate> gate;  // service callbacks -> io thread (they may outlive the server)
  delivery_ledger ledger;         // requests accepted and not yet delivered
  // io thread only:
  connection_table table;
  std::map<connection_id, std::shared_ptr<Connection>> connections;  // the open ones
};

template <class Shared, class Connection>
class server_core final : public front_end {
 public:
  using tcp = boost::asio::ip::tcp;

  // How long stop() lets the last answers (and cut errors) go out.
  static constexpr auto kFlushGrace = std::chrono::seconds(2);

  // A server listening on shared.config.host:`port` (0: any free port),
  // its Shared made from `args` and the io_context. Errors: config_invalid
  // (the host does not resolve), io_error (bind/listen failed).
  template <class... Args>
  static status_or<std::unique_ptr<front_end>> start(int port, Args&&... args) {
    std::unique_ptr<server_core> s(new server_core(std::forward<Args>(args)...));
    if (status st = s->listen(port); !st.ok()) return st;
    s->run();
    return std::unique_ptr<front_end>(std::move(s));
  }

  ~server_core() override {
    if (thread_.joinable()) stop();
  }

  int port() const override { return port_; }

  void begin_drain() override { shared.ledger.begin_drain(); }

  int wait_drained(std::chrono::milliseconds timeout) override { return shared.ledger.wait_delivered(timeout); }

  void stop() override {
    if (stopped_.exchange(true)) return;
    begin_drain();
    on_io([this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
      for (auto& [id, c] : std::map(shared.connections)) c->cut();
    });
    shared.ledger.wait_delivered(kFlushGrace);
    on_io([this] {
      for (auto& [id, c] : std::map(shared.connections)) c->close();
    });
    shared.gate->close();
    guard_.reset();
    io.stop();
    if (thread_.joinable()) thread_.join();
  }

  boost::asio::io_context io{1};
  Shared shared;

 private:
  template <class... Args>
  explicit server_core(Args&&... args) : shared(std::forward<Args>(args)..., io) {}

  // Binds shared.config.host:`port`.
  status listen(int port) {
    const std::string& host = shared.config.host;
    boost::system::error_code ec;
    tcp::resolver resolver(io);
    const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
    if (ec || endpoints.empty())
      return status(error_code::config_invalid, "server.host \"" + host + "\": " + ec.message());
    const tcp::endpoint ep = endpoints.begin()->endpoint();
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
    if (!ec) port_ = acceptor_.local_endpoint(ec).port();
    if (!ec) return {};
    return status(error_code::io_error, "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  }

  // Starts accepting, on the io thread.
  void run() {
    accept_next();
    thread_ = std::thread([this] { run_io(); });
  }

  void accept_next() {
    acceptor_.async_accept(io, [this](boost::system::error_code ec, tcp::socket socket) {
      if (!acceptor_.is_open()) return;
      if (!ec) admit(std::move(socket));
      accept_next();
    });
  }

  void admit(tcp::socket socket) {
    boost::system::error_code ec;
    const std::string address = socket.remote_endpoint(ec).address().to_string();
    if (ec) return;
    const connection_id id = ++accepted_;
    const auto a = shared.table.admit(id, address);
    if (a.shed)
      if (auto it = shared.connections.find(*a.shed); it != shared.connections.end()) it->second->close();
    if (a.outcome != connection_table::verdict::admitted)
      return Connection::refuse(std::move(socket), shared, a.outcome);
    auto c = std::make_shared<Connection>(std::move(socket), shared, id);
    shared.connections.emplace(id, c);
    c->start();
  }

  // Runs `f` on the io thread and waits for it.
  template <class F>
  void on_io(F f) {
    std::promise<void> done;
    boost::asio::post(io, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  void run_io() {
    for (;;) {
      try {
        io.run();
        return;
      } catch (...) {  // a handler ran out of memory: keep serving the others
      }
    }
  }

  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{io.get_executor()};
  tcp::acceptor acceptor_{io};
  std::thread thread_;
  connection_id accepted_ = 0;  // connections accepted so far: each one's number
  int port_ = 0;
  std::atomic<bool> stopped_{false};
};

}  // namespace binserve::net
