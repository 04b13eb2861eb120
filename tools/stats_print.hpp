// How the command-line tools print a server's stats: every field of
// actors/stats_schema.hpp by its protocol key, one a line (a latency
// summary's parts on its line), the bins and the nodes of the cluster (this
// process and its workers) as tables; or the protocol's stats line
// (docs/protocol.md) with --json.
#pragma once

#include <ostream>

#include "binserve/stats.hpp"

namespace binserve::tools {

// Writes `s` to `out`: readable lines, or with `json` the protocol's line.
void print_stats(std::ostream& out, const stats& s, bool json);

}  // namespace binserve::tools
