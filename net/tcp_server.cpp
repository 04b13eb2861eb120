#include "net/tcp_server.hpp"

#include "config/config_rules.hpp"
#include "net/tcp_connection.hpp"

namespace binserve::net {

status_or<std::unique_ptr<front_end>> start_tcp_server(service& svc, const server_config& config) {
  if (status s = check_rules(config); !s.ok()) return s;
  if (config.tcp_port < 0) return status(error_code::config_invalid, "server.tcp_port: -1 starts no TCP server");
  return server_core<tcp_shared, tcp_connection>::start(config.tcp_port, svc, config);
}

}  // namespace binserve::net
