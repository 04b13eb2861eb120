// binserve's TCP front end: the newline-delimited JSON protocol of
// net/protocol.hpp over plain TCP, served from its own io thread.
//
// Per connection: many requests in flight, answered by the client's id; at
// most server_config::per_connection_in_flight unfinished (the excess gets an
// `overloaded` error); lines over max_line_bytes get an `input_too_large`
// error and are discarded without being buffered; a malformed line gets an
// `error` and the connection stays usable. When a client disconnects, its
// unfinished requests are cancelled. With a non-empty auth_token, the first
// line must be {"type":"auth","token":...}; otherwise the client gets an
// error and is disconnected. Each connection is one client for fairness:
// its requests carry request::client "tcp:<n>", n counting connections
// accepted (from 1), so they share one fair share of every batch.
#pragma once

#include <memory>

#include "binserve/config.hpp"
#include "binserve/service.hpp"
#include "binserve/status.hpp"

namespace binserve::net {

class tcp_server {
 public:
  // Binds config.host:config.tcp_port (0: any free port) and starts serving.
  // `svc` must outlive the server. Errors: config_invalid (bad host or
  // limits), io_error (the address cannot be bound).
  static status_or<std::unique_ptr<tcp_server>> start(service& svc, const server_config& config);

  ~tcp_server();  // stop()
  tcp_server(const tcp_server&) = delete;
  tcp_server& operator=(const tcp_server&) = delete;

  // The bound port.
  int port() const;

  // Closes the acceptor and every connection (cancelling their unfinished
  // requests) and joins the server's threads. Idempotent.
  void stop();

 private:
  struct impl;
  explicit tcp_server(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace binserve::net
