// The subcommands of the `binserve` program, which serves and works with
// models; each file adds one to the app. The measuring tools are
// `binserve-bench`'s (bench/commands.hpp).
#pragma once

#include <CLI/CLI.hpp>

namespace binserve::tools {

// binserve generate --model M --prompt TEXT ...: one completion, printed.
void add_generate_command(CLI::App& app);

// binserve predictor collect|train|eval: datasets, training and scores of length predictors.
void add_predictor_command(CLI::App& app);

// binserve config check FILE | print [FILE]: validate and show deployment files.
void add_config_command(CLI::App& app);

// binserve client --host H --port P --prompt TEXT: one completion from a running server.
void add_client_command(CLI::App& app);

// binserve stats --host H --port P [--json]: a running server's metrics, node by node.
void add_stats_command(CLI::App& app);

// binserve serve --config FILE: a YAML deployment behind TCP and HTTP.
void add_serve_command(CLI::App& app);

// binserve worker --config FILE --port P: a worker node whose executors a coordinator uses.
void add_worker_command(CLI::App& app);

// binserve inspect --model F.gguf [--json]: every tensor's type, shape and dequantized sums.
void add_inspect_command(CLI::App& app);

// binserve quantize --model F.gguf --type Q8_0 --out G.gguf: the weight matrices in another type.
void add_quantize_command(CLI::App& app);

}  // namespace binserve::tools
