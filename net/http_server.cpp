#include "net/http_server.hpp"

#include "config/config_rules.hpp"
#include "net/http_session.hpp"

namespace binserve {

status_or<std::unique_ptr<net::front_end>> start_http_server(service& svc, const server_config& config,
                                                             std::string model_name) {
  if (status s = check_rules(config); !s.ok()) return s;
  if (config.http_port < 0) return status(error_code::config_invalid, "server.http_port: -1 starts no HTTP server");
  auto chat = net::chat_prompt::make(svc, config.chat_template);
  if (!chat.ok()) return chat.error();
  return net::server_core<net::http_shared, net::http_session>::start(config.http_port, svc, config,
                                                                      std::move(model_name), std::move(*chat));
}

}  // namespace binserve
