// binserve: the settings of the network front ends (`binserve serve`'s TCP
// and HTTP servers: net/tcp_server.hpp, net/http_server.hpp), the `server`
// section of a deployment file. Validated by config/config_rules.hpp.
#pragma once

#include <string>

namespace binserve {

struct server_config {
  std::string host = "127.0.0.1";  // loopback unless configured otherwise
  int tcp_port = 7070;             // 0: any free port; -1: no TCP server
  int http_port = 8080;            // 0: any free port; -1: no HTTP server
  int max_line_bytes = 1 << 20;    // TCP: longer lines get an error
  // Connections open at once, per port. When full, a new connection takes the
  // place of the oldest one still waiting for its first request (with
  // auth_token: not yet authenticated); with none such it is refused.
  int max_connections = 1024;
  int max_connections_per_address = 64;  // per port, from one client IP address
  // A new connection must send its first request (TCP: its first line, the
  // auth line when auth_token is set) within this, or it is closed.
  int first_request_timeout_ms = 10000;
  // A connection with nothing in flight that sends nothing for this long is
  // closed (both ports).
  int idle_timeout_s = 60;
  int per_connection_in_flight = 64;  // requests one connection may have unfinished
  std::string auth_token;             // non-empty: clients must present it
  // On SIGINT/SIGTERM the servers stop accepting requests (HTTP 503 with
  // Retry-After, TCP `shutting_down` errors) and deliver every accepted one;
  // what is still unfinished after this long ends with an explicit error,
  // and `serve` exits non-zero.
  double drain_timeout_s = 30;
  // The chat template /v1/chat/completions renders conversations with,
  // instead of the model's own (GGUF tokenizer.chat_template); empty: the
  // model's. docs/http.md says how chats become prompts.
  std::string chat_template;
};

}  // namespace binserve
