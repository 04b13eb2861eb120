// The subcommands of the `binserve` program; each file adds one to the app.
#pragma once

#include <CLI/CLI.hpp>

namespace binserve::tools {

// binserve generate --model M --prompt TEXT ...: one completion, printed.
void add_generate_command(CLI::App& app);

// binserve bench-engine --model M --batch 1,4,16,64: decode throughput.
void add_bench_engine_command(CLI::App& app);

// binserve bench --workload TRACE --policies ...: policies side by side.
void add_bench_command(CLI::App& app);

// binserve predictor collect|train|eval: datasets, training and scores of length predictors.
void add_predictor_command(CLI::App& app);

}  // namespace binserve::tools
