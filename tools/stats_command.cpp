// binserve stats: the metrics of a running binserve server and its cluster.
#include <iostream>

#include "binserve/client.hpp"
#include "tools/commands.hpp"
#include "tools/stats_print.hpp"

namespace binserve::tools {

namespace {

struct stats_flags {
  std::string host = "127.0.0.1";
  int port = 7070;
  std::string token;
  bool json = false;
};

int run_stats(const stats_flags& f) {
  auto c = client::connect(f.host, f.port, f.token);
  status_or<stats> s = c.ok() ? c->stats() : status_or<stats>(c.error());
  if (!s.ok()) {
    std::cerr << "binserve stats: " << s.error().to_string() << "\n";
    return 1;
  }
  print_stats(std::cout, *s, f.json);
  return 0;
}

}  // namespace

void add_stats_command(CLI::App& app) {
  auto flags = std::make_shared<stats_flags>();
  auto* cmd = app.add_subcommand("stats", "Print a running server's metrics, node by node");
  cmd->add_option("--host", flags->host, "Server host")->capture_default_str();
  cmd->add_option("--port", flags->port, "Server TCP port")->capture_default_str();
  cmd->add_option("--token", flags->token, "Bearer token, when the server requires one");
  cmd->add_flag("--json", flags->json, "Print the protocol's stats line");
  cmd->callback([flags] {
    const int rc = run_stats(*flags);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace binserve::tools
