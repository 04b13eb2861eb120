// Time in the scheduling core: any monotonic clock, in nanoseconds. The
// core never reads a clock; its drivers (the actors, the simulator) pass
// the time of every event in.
#pragma once

#include <cstdint>

namespace binserve::sched {

using time_ns = std::int64_t;

}  // namespace binserve::sched
