// binserve-bench: measure binserve (engine throughput, scheduling policies,
// load and soak tests against a server, the scheduler's simulator).
#include "bench/commands.hpp"
#include "tools/run_cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{"binserve-bench: measure binserve's engine, policies and servers"};
  app.require_subcommand(1);
  binserve::tools::add_bench_engine_command(app);
  binserve::tools::add_bench_command(app);
  binserve::tools::add_loadgen_command(app);
  binserve::tools::add_soak_command(app);
  binserve::tools::add_sim_command(app);
  return binserve::tools::run_cli(app, argc, argv, "binserve-bench");
}
