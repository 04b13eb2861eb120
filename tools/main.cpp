// binserve: serve LLM inference with length-aware batching.
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

#include "tools/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"binserve: LLM serving that batches requests of similar response length"};
  app.require_subcommand(1);
  binserve::tools::add_generate_command(app);
  binserve::tools::add_bench_engine_command(app);
  binserve::tools::add_bench_command(app);
  binserve::tools::add_predictor_command(app);
  binserve::tools::add_config_command(app);
  binserve::tools::add_client_command(app);
  binserve::tools::add_stats_command(app);
  binserve::tools::add_loadgen_command(app);
  binserve::tools::add_soak_command(app);
  binserve::tools::add_serve_command(app);
  binserve::tools::add_worker_command(app);
  binserve::tools::add_sim_command(app);
  binserve::tools::add_inspect_command(app);
  binserve::tools::add_quantize_command(app);
  // Errors are values at every boundary; an exception that still escapes a
  // command (a broken invariant) ends it with a message, never an abort.
  try {
    CLI11_PARSE(app, argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "binserve: internal error: " << e.what() << "\n";
    return 70;  // EX_SOFTWARE
  }
  return 0;
}
