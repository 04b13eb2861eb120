// binserve worker --config FILE [--host H] [--port P]: a worker node. Loads
// the deployment's model and executors (its `model`, `backend` and
// `executors` keys; the coordinator's policy decides how batches run) and
// publishes them for a coordinator (`binserve serve` listing this host:port
// under `workers:`), until SIGINT or SIGTERM. Prints worker_port=N first.
#include <signal.h>

#include <iostream>

#include "actors/worker_node.hpp"
#include "config/deployment_loader.hpp"
#include "tools/commands.hpp"
#include "tools/model_options.hpp"

namespace binserve::tools {

namespace {

struct worker_flags {
  std::string config;
  std::string host = "127.0.0.1";
  int port = 7171;
};

int run_worker(const worker_flags& f) {
  auto d = load_deployment(f.config);
  if (!d.ok()) return report(d.error());
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // before any thread starts
  auto node = worker_node::start(d->service, f.host, f.port);
  if (!node.ok()) return report(node.error());
  std::cout << "worker_port=" << (*node)->port() << "\n" << std::flush;
  std::cerr << "binserve: worker serving " << d->service.model << " (" << d->service.executors
            << " executors, fingerprint " << (*node)->fingerprint() << ") on " << f.host << ":" << (*node)->port()
            << "; SIGINT or SIGTERM stops\n";
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::cerr << "binserve: worker stopping\n";
  (*node)->stop();
  return 0;
}

}  // namespace

void add_worker_command(CLI::App& app) {
  auto f = std::make_shared<worker_flags>();
  CLI::App* cmd = app.add_subcommand("worker", "run a worker node: this machine's executors for a coordinator");
  cmd->add_option("--config", f->config, "deployment YAML file (model, backend, executors)")->required();
  cmd->add_option("--host", f->host, "address to publish on (default 127.0.0.1)");
  cmd->add_option("--port", f->port, "port to publish on (0: any free port; default 7171)")
      ->check(CLI::Range(0, 65535));
  cmd->callback([f] {
    if (int rc = run_worker(*f); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace binserve::tools
