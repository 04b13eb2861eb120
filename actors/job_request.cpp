#include "actors/job_request.hpp"

#include <string>

namespace binserve {

generation_request request_of(const job& j) {
  generation_request r;
  r.prompt_ids = j.prompt_ids;
  r.sampling = {j.temperature, j.top_p, j.seed};
  r.rules = {j.presence_penalty, j.frequency_penalty, j.logit_bias, j.min_tokens};
  r.stop = j.stop;
  r.ignore_eos = j.ignore_eos;
  r.logprobs = j.logprobs;
  r.max_new_tokens = j.max_new_tokens;
  r.target_length = j.target_length;
  return r;
}

status validate_scheduling(const job& j) {
  if (j.priority < kMinPriority || j.priority > kMaxPriority)
    return status(error_code::invalid_argument, "priority must be in [" + std::to_string(kMinPriority) + ", " +
                                                    std::to_string(kMaxPriority) + "] (higher is more urgent), not " +
                                                    std::to_string(j.priority));
  if (j.length_hint < 0 || j.length_hint > j.max_new_tokens)
    return status(error_code::invalid_argument,
                  "length_hint must be in [1, max_new_tokens = " + std::to_string(j.max_new_tokens) +
                      "] (0: none), not " + std::to_string(j.length_hint));
  return status::ok_status();
}

}  // namespace binserve
