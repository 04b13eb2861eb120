// The runtime's one clock: steady nanoseconds, as carried in messages.
#pragma once

#include <chrono>
#include <cstdint>

namespace binserve {

inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace binserve
