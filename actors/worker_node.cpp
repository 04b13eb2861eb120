#include "actors/worker_node.hpp"

#include <mutex>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/backend_set.hpp"
#include "actors/messages.hpp"
#include "actors/worker_actor.hpp"
#include "config/config_rules.hpp"

namespace binserve {

struct worker_node::impl {
  impl() {
    add_message_types(cfg);
    cfg.load<caf::io::middleman>();
    cfg.set("scheduler.max-threads", std::max<size_t>(1, std::thread::hardware_concurrency()));
  }
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  worker_actor worker;
  std::string fingerprint;
  int port = 0;
  std::once_flag stopped;
};

namespace {

status_or<worker_params> make_worker_params(const service_config& c) {
  if (c.executors < 1)  // before the rules, whose message for 0 is a coordinator's
    return status(error_code::config_invalid,
                  "executors: a worker runs at least 1 (got " + std::to_string(c.executors) + ")");
  if (status s = check_rules(c); !s.ok()) return s;
  auto set = start_backends(c, 0);
  if (!set.ok()) return set.error();
  return worker_params{std::move(set->backends), std::move(set->fingerprint), set->m->source, std::move(set->probe)};
}

}  // namespace

status_or<std::unique_ptr<worker_node>> worker_node::start(const service_config& config, const std::string& host,
                                                           int port) {
  if (port < 0 || port > 65535) return status(error_code::config_invalid, "port must be in [0, 65535]");
  auto wp = make_worker_params(config);
  if (!wp.ok()) return wp.error();
  auto p = std::make_unique<impl>();
  p->fingerprint = wp->fingerprint;
  p->sys = std::make_unique<caf::actor_system>(p->cfg);
  p->worker = spawn_worker_actor(*p->sys, std::move(*wp));
  auto bound = p->sys->middleman().publish(p->worker, static_cast<std::uint16_t>(port), host.c_str(), true);
  if (!bound) {
    caf::anon_send_exit(p->worker, caf::exit_reason::user_shutdown);
    return status(error_code::io_error, "cannot publish the worker on " + host + ":" + std::to_string(port) + ": " +
                                            p->sys->render(bound.error()));
  }
  p->port = *bound;
  return std::unique_ptr<worker_node>(new worker_node(std::move(p)));
}

worker_node::worker_node(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

worker_node::~worker_node() { stop(); }

int worker_node::port() const { return impl_->port; }

const std::string& worker_node::fingerprint() const { return impl_->fingerprint; }

void worker_node::stop() {
  std::call_once(impl_->stopped, [this] {
    caf::anon_send_exit(impl_->worker, caf::exit_reason::user_shutdown);
    impl_->worker = nullptr;
    impl_->sys.reset();  // waits for its actors; the middleman closes its connections
  });
}

}  // namespace binserve
