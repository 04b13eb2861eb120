#include "net/http_server.hpp"

#include "config/config_rules.hpp"
#include "net/http_session.hpp"

namespace binserve {

struct http_server::impl : net::server_core<net::http_shared, net::http_session> {
  using server_core::server_core;
};

status_or<std::unique_ptr<http_server>> http_server::start(service& svc, const server_config& config,
                                                           std::string model_name) {
  if (status s = check_rules(config); !s.ok()) return s;
  if (config.http_port < 0) return status(error_code::config_invalid, "server.http_port: -1 starts no HTTP server");
  auto chat = net::chat_prompt::make(svc, config.chat_template);
  if (!chat.ok()) return chat.error();
  auto p = std::make_unique<impl>(svc, config, std::move(model_name), std::move(*chat));
  if (status s = p->listen(config.http_port); !s.ok()) return s;
  p->run();
  return std::unique_ptr<http_server>(new http_server(std::move(p)));
}

http_server::http_server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

http_server::~http_server() { stop(); }

int http_server::port() const { return impl_->port(); }

void http_server::begin_drain() { impl_->begin_drain(); }

int http_server::wait_drained(std::chrono::milliseconds timeout) { return impl_->wait_drained(timeout); }

void http_server::stop() { impl_->stop(); }

}  // namespace binserve
