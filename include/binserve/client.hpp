// binserve::client: a small synchronous client of binserve's TCP protocol
// (docs/protocol.md). One request at a time per client object; use one
// object per thread.
//
//   auto c = binserve::client::connect("127.0.0.1", 7070);
//   if (!c.ok()) { ... c.error() ... }
//   auto r = c->generate({.prompt = "Once upon a time"});
#pragma once

#include <memory>
#include <string>

#include "binserve/request.hpp"
#include "binserve/service.hpp"
#include "binserve/stats.hpp"
#include "binserve/status.hpp"

namespace binserve {

class client {
 public:
  // Connects; with a non-empty auth_token, authenticates first.
  // Errors: io_error (cannot resolve or connect).
  static status_or<client> connect(const std::string& host, int port, const std::string& auth_token = {});

  client(client&&) noexcept;
  client& operator=(client&&) noexcept;
  ~client();

  // Sends `r` and blocks until its final result. With `on_token`, the
  // request is streamed: on_token(result id, token, text) per token, in order.
  // The result's prompt_ids is empty (the server sends only their count).
  // Errors: those the server sends (invalid_argument, overloaded, cancelled,
  // timed_out, ...), io_error (connection lost), protocol_malformed (the
  // server sent something that is not the protocol).
  status_or<result> generate(const request& r, const token_callback& on_token = {});

  // The service's metrics. Errors: io_error, protocol_malformed.
  status_or<binserve::stats> stats();

  // A round trip to the server. Errors: io_error, protocol_malformed.
  status ping();

 private:
  struct impl;
  explicit client(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace binserve
