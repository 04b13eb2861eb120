// The subcommands of `binserve-bench`, the program that measures binserve
// (docs/benchmarks.md); each file adds one to the app. Serving and working
// with models is `binserve`'s (tools/commands.hpp).
#pragma once

#include <CLI/CLI.hpp>

namespace binserve::tools {

// binserve-bench bench-engine --model M --batch 1,4,16,64: decode throughput.
void add_bench_engine_command(CLI::App& app);

// binserve-bench bench --workload TRACE --policies ...: policies side by side.
void add_bench_command(CLI::App& app);

// binserve-bench loadgen --port P --connections N --requests R: load a running server, check every answer.
void add_loadgen_command(CLI::App& app);

// binserve-bench soak --config FILE | --port P: random cancels, disconnects, malformed lines; every request answered
// once.
void add_soak_command(CLI::App& app);

// binserve-bench sim --lengths SOURCE --bins 1,2,4: discrete-event simulation of the scheduler, swept.
void add_sim_command(CLI::App& app);

}  // namespace binserve::tools
