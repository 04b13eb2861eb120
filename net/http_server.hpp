// binserve::start_http_server: the OpenAI-compatible HTTP/1.1 front end of a
// service (endpoints and wire format: net/openai.hpp, docs/http.md).
//
// Runs on its own io thread. Keep-alive; request bodies over 1 MiB get 413,
// bodies framed by anything but exactly `chunked` or Content-Length 400,
// unknown paths 404, wrong methods 405, bad bodies 400, all as OpenAI-style
// error JSON, each response with an x-request-id (the client's, or one of
// ours). With a non-empty auth_token every path but /health needs
// `Authorization: Bearer <token>` (scheme case-insensitive; else 401 with
// WWW-Authenticate).
//
// Streaming (`"stream": true`) answers with chunked Server-Sent Events; the
// connection closes after a stream. A client that disconnects mid-stream has
// its requests cancelled. Fairness: a request's key (request::client) is
// "user:<user>" from the body's `user` field, else "http:<n>" for its
// connection (n counting connections accepted, from 1).
//
// Connections (net/connection_table.hpp): at most max_connections, and
// max_connections_per_address from one address; when full, the oldest
// connection that has not yet sent an (authorized) request is shed for a
// new one, else the new one gets 503. A connection must send its first
// request within first_request_timeout_ms, and later ones within
// idle_timeout_s of the previous answer.
//
// Draining (begin_drain): generation requests get 503 with Retry-After and
// /health 503, while the calls already accepted run to their end and are
// delivered; stop() then ends whatever is left with an explicit error.
#pragma once

#include <memory>
#include <string>

#include "binserve/service.hpp"
#include "binserve/status.hpp"
#include "net/front_end.hpp"
#include "net/server_config.hpp"

namespace binserve {

// Binds config.host:config.http_port (0: any free port) and starts
// serving `model_name`; the front end drains and stops as
// net/front_end.hpp says. `svc` must outlive it. Errors: config_invalid (a
// value config_rules refuses, an http_port of -1, a host that does not
// resolve, a chat template that does not compile), io_error (bind/listen
// failed).
status_or<std::unique_ptr<net::front_end>> start_http_server(service& svc, const server_config& config,
                                                             std::string model_name);

}  // namespace binserve
