// The stats actor: owns the service's metrics and answers snapshots.
#pragma once

#include <vector>

#include "actors/messages.hpp"

namespace binserve {

// `bins`: the layout to report per bin (empty for continuous policies).
stats_actor spawn_stats_actor(caf::actor_system& sys, std::vector<bin_summary> bins);

}  // namespace binserve
