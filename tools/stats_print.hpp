// How the command-line tools print a server's stats: one summary line and
// one line per node of the cluster (this process and its workers), or the
// protocol's stats line (docs/protocol.md) with --json.
#pragma once

#include <ostream>

#include "binserve/stats.hpp"

namespace binserve::tools {

// Writes `s` to `out`: readable lines, or with `json` the protocol's line.
void print_stats(std::ostream& out, const stats& s, bool json);

}  // namespace binserve::tools
