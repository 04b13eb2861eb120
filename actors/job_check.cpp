#include "actors/job_check.hpp"

#include <string>

namespace binserve {

status validate_scheduling(const job& j) {
  if (j.priority < kMinPriority || j.priority > kMaxPriority)
    return status(error_code::invalid_argument, "priority must be in [" + std::to_string(kMinPriority) + ", " +
                                                    std::to_string(kMaxPriority) + "] (higher is more urgent), not " +
                                                    std::to_string(j.priority));
  if (j.length_hint < 0 || j.length_hint > j.gen.max_new_tokens)
    return status(error_code::invalid_argument,
                  "length_hint must be in [1, max_new_tokens = " + std::to_string(j.gen.max_new_tokens) +
                      "] (0: none), not " + std::to_string(j.length_hint));
  return status::ok_status();
}

}  // namespace binserve
