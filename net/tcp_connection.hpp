// One connection of binserve's TCP front end (net/tcp_server.hpp): splits
// what the client sends into lines, answers each protocol message, streams
// tokens and final events back. Internal to the TCP server; everything here
// runs on the server's io thread, and service callbacks reach a connection
// only through the io_gate, by weak_ptr.
#pragma once

#include <array>
#include <utility>

#include <boost/asio.hpp>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "binserve/config.hpp"
#include "binserve/service.hpp"
#include "net/protocol.hpp"
#include "net/server_core.hpp"

namespace binserve::net {

class tcp_connection;

// What every connection of one server shares (net/server_core.hpp); the
// ledger counts generate requests.
struct tcp_shared : shared_state<tcp_connection> {
  using shared_state::shared_state;
};

class tcp_connection : public std::enable_shared_from_this<tcp_connection> {
 public:
  // Its requests carry request::client "tcp:<id>".
  tcp_connection(boost::asio::ip::tcp::socket socket, tcp_shared& shared, connection_id id);

  // Starts reading; its first line must come within first_request_timeout_ms.
  void start();

  // Answers a connection that cannot be admitted with an `overloaded`
  // error line, without reading from it.
  static void refuse(boost::asio::ip::tcp::socket socket, tcp_shared& shared, connection_table::verdict why);

  // Cancels its unfinished requests and closes the socket. Idempotent.
  void close();

  // The drain timed out: each unfinished request ends with an explicit
  // shutting_down error (and is cancelled in the service).
  void cut();

 private:
  using tcp = boost::asio::ip::tcp;
  using sys_error = boost::system::error_code;

  struct in_flight {
    request_id service_id = 0;
  };
  // A line to write, and how many final events it delivers.
  struct outgoing {
    std::string line;
    int finals = 0;
  };

  // Answers `why` and closes, without reading.
  void reject(const status& why);
  void read_more();
  void on_bytes(std::string_view data);
  void on_line(std::string_view line);
  void authenticate(const status_or<client_message>& msg);
  void established();
  void handle(generate_message& m);
  void handle(const cancel_message& m);
  void handle(const stats_message&);
  void handle(const ping_message&);
  void handle(const auth_message&);
  void on_token(const client_id& id, const generated_token& t);
  void on_final(const client_id& id, const status_or<result>& r);
  void send(std::string line, int finals = 0);
  void write_next();
  void resume_reading();
  // The idle deadline runs while nothing is in flight.
  void arm_deadline(std::chrono::milliseconds after);
  void update_idle_deadline();

  tcp::socket socket_;
  tcp_shared& st_;
  const connection_id id_;
  const std::string client_;
  boost::asio::steady_timer deadline_;
  std::array<char, 8192> chunk_{};
  std::string line_;
  bool discarding_ = false;  // dropping the rest of an oversized line
  bool authed_;
  bool established_ = false;  // no longer pending (connection_table)
  bool closed_ = false;
  bool close_after_write_ = false;
  std::deque<outgoing> outbox_;
  std::size_t outbox_bytes_ = 0;
  bool reading_paused_ = false;  // the outbox passed its high-water mark
  std::map<client_id, in_flight> in_flight_;
};

}  // namespace binserve::net
