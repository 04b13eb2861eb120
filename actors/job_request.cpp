#include "actors/job_request.hpp"

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

}  // namespace binserve
