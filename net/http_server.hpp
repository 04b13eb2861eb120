// binserve::http_server: the OpenAI-compatible HTTP/1.1 front end of a
// service (endpoints and wire format: net/openai.hpp, docs/http.md).
//
// Runs on its own io_context thread. Keep-alive; request bodies over 1 MiB
// get 413, unknown paths 404, wrong methods 405, bad bodies 400, all as
// OpenAI-style error JSON. With a non-empty auth_token every path but
// /health needs `Authorization: Bearer <token>` (else 401).
//
// Results are awaited off the io thread (one waiter thread per request in
// flight, the service offering only futures) and posted back. Streaming
// (`"stream": true`) answers with chunked Server-Sent Events, one per token
// in order, then a final chunk with finish_reason and `data: [DONE]`; the
// connection closes after a stream. A client that disconnects mid-stream has
// its request cancelled. Connections beyond max_connections are closed on
// accept. Fairness: a request's key (request::client) is "user:<user>" from
// the body's OpenAI `user` field, else "http:<n>" for its connection (n
// counting connections accepted, from 1).
#pragma once

#include <memory>
#include <string>

#include "binserve/config.hpp"
#include "binserve/service.hpp"
#include "binserve/status.hpp"

namespace binserve {

class http_server {
 public:
  // Binds config.host:config.http_port (0: any free port) and starts
  // serving. `svc` must outlive the server. Errors: config_invalid (bad
  // host or port), io_error (bind/listen failed).
  static status_or<std::unique_ptr<http_server>> start(service& svc, const server_config& config,
                                                       std::string model_name);

  ~http_server();  // stop()
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // The port it listens on (the chosen one when http_port was 0).
  int port() const;

  // Stops accepting, cancels the requests in flight, waits for their
  // waiters, then stops the io thread. Idempotent.
  void stop();

 private:
  struct impl;
  explicit http_server(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace binserve
