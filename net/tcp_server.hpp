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
//
// Connections (net/connection_table.hpp): at most max_connections, and
// max_connections_per_address from one address; when full, the oldest
// connection that has not yet sent its first line (with auth_token: not
// yet authenticated) is shed for a new one, else the new one gets an
// `overloaded` error. The first line must come within
// first_request_timeout_ms; a connection with nothing in flight is closed
// after idle_timeout_s without a line.
//
// Draining (begin_drain): new `generate` messages get a `shutting_down`
// error while those accepted run to their end and are delivered; stop()
// ends whatever is left with an explicit `shutting_down` error.
#pragma once

#include <memory>

#include "binserve/service.hpp"
#include "binserve/status.hpp"
#include "net/front_end.hpp"
#include "net/server_config.hpp"

namespace binserve::net {

// Binds config.host:config.tcp_port (0: any free port) and starts serving;
// the front end drains and stops as net/front_end.hpp says. `svc` must
// outlive it. Errors: config_invalid (a value config_rules refuses, a
// tcp_port of -1, a host that does not resolve), io_error (the address
// cannot be bound).
status_or<std::unique_ptr<front_end>> start_tcp_server(service& svc, const server_config& config);

}  // namespace binserve::net
