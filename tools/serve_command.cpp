// binserve serve --config FILE: runs a YAML deployment: the service, its TCP
// server and its OpenAI-compatible HTTP server, until SIGINT or SIGTERM.
// The bound ports are printed first, one per line, as tcp_port=N and
// http_port=N (port 0 in the file or a flag picks a free one).
#include <signal.h>

#include <filesystem>
#include <iostream>

#include "binserve/service.hpp"
#include "config/deployment_check.hpp"
#include "net/http_server.hpp"
#include "net/tcp_server.hpp"
#include "tools/commands.hpp"
#include "tools/model_options.hpp"

namespace binserve::tools {

namespace {

constexpr int kUnset = -2;

struct serve_flags {
  std::string config;
  int tcp_port = kUnset;
  int http_port = kUnset;
};

// Blocks SIGINT and SIGTERM in this thread and every thread started after,
// so that wait_for_signal receives them instead of the default handler.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

std::string model_name(const std::string& spec) {
  return spec.rfind("dummy:", 0) == 0 ? spec : std::filesystem::path(spec).filename().string();
}

int run_serve(const serve_flags& f) {
  auto d = load_checked_deployment(f.config);  // the validation `config check` runs
  if (!d.ok()) return report(d.error());
  if (f.tcp_port != kUnset) d->server.tcp_port = f.tcp_port;
  if (f.http_port != kUnset) d->server.http_port = f.http_port;
  const sigset_t stop_signals = block_stop_signals();
  auto svc = service::start(d->service);
  if (!svc.ok()) return report(svc.error());
  std::unique_ptr<net::tcp_server> tcp;
  std::unique_ptr<http_server> http;
  if (d->server.tcp_port >= 0) {
    auto s = net::tcp_server::start(**svc, d->server);
    if (!s.ok()) return report(s.error());
    tcp = std::move(*s);
    std::cout << "tcp_port=" << tcp->port() << "\n";
  }
  if (d->server.http_port >= 0) {
    auto s = http_server::start(**svc, d->server, model_name(d->service.model));
    if (!s.ok()) return report(s.error());
    http = std::move(*s);
    std::cout << "http_port=" << http->port() << "\n";
  }
  std::cout << std::flush;
  std::cerr << "binserve: serving " << d->service.model << " (policy " << d->service.policy.kind
            << ", predictor " << d->service.predictor.kind << "); SIGINT or SIGTERM stops\n";
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::cerr << "binserve: stopping: draining requests in flight\n";
  if (tcp) tcp->stop();
  if (http) http->stop();
  (*svc)->shutdown();
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto f = std::make_shared<serve_flags>();
  CLI::App* cmd = app.add_subcommand("serve", "run a YAML deployment (TCP and HTTP servers)");
  cmd->add_option("--config", f->config, "deployment YAML file")->required();
  cmd->add_option("--tcp-port", f->tcp_port, "TCP port (0: any free port, -1: off); overrides the file")
      ->check(CLI::Range(-1, 65535));
  cmd->add_option("--http-port", f->http_port, "HTTP port (0: any free port, -1: off); overrides the file")
      ->check(CLI::Range(-1, 65535));
  cmd->callback([f] {
    if (int rc = run_serve(*f); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace binserve::tools
