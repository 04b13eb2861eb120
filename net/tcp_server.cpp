#include "net/tcp_server.hpp"

#include "config/config_rules.hpp"
#include "net/tcp_connection.hpp"

namespace binserve::net {

struct tcp_server::impl : server_core<tcp_shared, tcp_connection> {
  using server_core::server_core;
};

status_or<std::unique_ptr<tcp_server>> tcp_server::start(service& svc, const server_config& config) {
  if (status s = check_rules(config); !s.ok()) return s;
  if (config.tcp_port < 0) return status(error_code::config_invalid, "server.tcp_port: -1 starts no TCP server");
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
