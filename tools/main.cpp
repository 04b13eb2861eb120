// binserve: serve LLM inference with length-aware batching.
#include "tools/commands.hpp"
#include "tools/run_cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{"binserve: LLM serving that batches requests of similar response length"};
  app.require_subcommand(1);
  binserve::tools::add_generate_command(app);
  binserve::tools::add_predictor_command(app);
  binserve::tools::add_config_command(app);
  binserve::tools::add_client_command(app);
  binserve::tools::add_stats_command(app);
  binserve::tools::add_serve_command(app);
  binserve::tools::add_worker_command(app);
  binserve::tools::add_inspect_command(app);
  binserve::tools::add_quantize_command(app);
  return binserve::tools::run_cli(app, argc, argv, "binserve");
}
