#include "net/tcp_server.hpp"

#include "net/tcp_connection.hpp"

namespace binserve::net {

namespace {

status check_config(const server_config& c) {
  auto bad = [](const std::string& what) { return status(error_code::config_invalid, what); };
  if (c.tcp_port < 0 || c.tcp_port > 65535) return bad("server.tcp_port must be in [0, 65535]");
  if (c.max_line_bytes <= 0) return bad("server.max_line_bytes must be positive");
  if (c.max_connections <= 0) return bad("server.max_connections must be positive");
  if (c.per_connection_in_flight <= 0) return bad("server.per_connection_in_flight must be positive");
  return {};
}

}  // namespace

struct tcp_server::impl : server_core<tcp_shared, tcp_connection> {
  using server_core::server_core;
};

status_or<std::unique_ptr<tcp_server>> tcp_server::start(service& svc, const server_config& config) {
  if (status s = check_config(config); !s.ok()) return s;
  auto p = std::make_unique<impl>(svc, config);
  if (status s = p->listen(config.tcp_port); !s.ok()) return s;
  p->run();
  return std::unique_ptr<tcp_server>(new tcp_server(std::move(p)));
}

tcp_server::tcp_server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

tcp_server::~tcp_server() { stop(); }

int tcp_server::port() const { return impl_->port(); }

void tcp_server::begin_drain() { impl_->begin_drain(); }

int tcp_server::wait_drained(std::chrono::milliseconds timeout) { return impl_->wait_drained(timeout); }

void tcp_server::stop() { impl_->stop(); }

}  // namespace binserve::net
