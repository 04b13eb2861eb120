// binserve serve --config FILE: runs a YAML deployment: the service, its TCP
// server and its OpenAI-compatible HTTP server, until SIGINT or SIGTERM.
// The bound ports are printed first, one per line, as tcp_port=N and
// http_port=N (port 0 in the file or a flag picks a free one), then `ready`
// once both servers accept: the start's signal, whatever logging.level.
//
// On a signal it drains (docs/reliability.md): new requests are refused,
// those accepted finish and are delivered, then it exits 0; when
// server.drain_timeout_s passes first, what is left ends with an explicit
// shutting_down error and it exits 3.
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <vector>

#include <spdlog/common.h>

#include "actors/log.hpp"
#include "actors/service_setup.hpp"
#include "binserve/names.hpp"
#include "binserve/service.hpp"
#include "config/deployment_check.hpp"
#include "net/http_server.hpp"
#include "net/tcp_server.hpp"
#include "tools/commands.hpp"
#include "tools/model_options.hpp"

namespace binserve::tools {

namespace {

constexpr int kUnset = -2;
constexpr int kExitDrainCut = 3;  // the drain timed out and requests were cut

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

// A server has as many sockets as connections: lift the soft limit on open
// files to the hard one (1024 by default on many systems, below
// max_connections on two ports).
void raise_open_file_limit() {
  rlimit l{};
  if (getrlimit(RLIMIT_NOFILE, &l) != 0 || l.rlim_cur >= l.rlim_max) return;
  l.rlim_cur = l.rlim_max;
  setrlimit(RLIMIT_NOFILE, &l);
}

// Stops taking requests, lets those accepted finish and reach their
// clients for up to `timeout_s`, then ends the rest with shutting_down
// errors and stops the front ends. Returns how many had to be cut.
int drain(const std::vector<std::unique_ptr<net::front_end>>& front_ends, double timeout_s, int sig) {
  logger().warn(
      "{}: draining: new requests are refused; the accepted ones have {} s (server.drain_timeout_s) to finish",
      strsignal(sig), timeout_s);
  for (const auto& f : front_ends) f->begin_drain();
  using clock = std::chrono::steady_clock;
  const clock::time_point deadline =
      clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(timeout_s));
  auto left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
        std::max(deadline - clock::now(), clock::duration::zero()));
  };
  int cut = 0;
  for (const auto& f : front_ends) cut += f->wait_drained(left());
  if (cut > 0)
    logger().error("drain timeout: {} unfinished requests end with a shutting_down error", cut);
  else
    logger().info("drained: every accepted request was delivered");
  for (const auto& f : front_ends) f->stop();
  return cut;
}

int run_serve(const serve_flags& f) {
  auto d = load_checked_deployment(f.config);  // the validation `config check` runs
  if (!d.ok()) return report(d.error());
  if (f.tcp_port != kUnset) d->server.tcp_port = f.tcp_port;
  if (f.http_port != kUnset) d->server.http_port = f.http_port;
  logger().set_level(spdlog::level::from_str(d->logging.level));  // a level the loader checked
  const sigset_t stop_signals = block_stop_signals();
  raise_open_file_limit();
  auto svc = start_service(d->service);  // with the file's faults and step trace
  if (!svc.ok()) return report(svc.error());
  std::vector<std::unique_ptr<net::front_end>> front_ends;
  if (d->server.tcp_port >= 0) {
    auto s = net::start_tcp_server(**svc, d->server);
    if (!s.ok()) return report(s.error());
    std::cout << "tcp_port=" << (*s)->port() << "\n";
    front_ends.push_back(std::move(*s));
  }
  if (d->server.http_port >= 0) {
    auto s = start_http_server(**svc, d->server, model_name(d->service.model));
    if (!s.ok()) return report(s.error());
    std::cout << "http_port=" << (*s)->port() << "\n";
    front_ends.push_back(std::move(*s));
  }
  std::cout << "ready" << std::endl;
  logger().info("serving {} (policy {}, predictor {}); SIGINT or SIGTERM stops", d->service.model,
                name_of(d->service.policy.kind), d->service.predictor.kind);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  const int cut = drain(front_ends, d->server.drain_timeout_s, sig);
  (*svc)->shutdown();
  return cut > 0 ? kExitDrainCut : 0;
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
