#include "gpu/generation_request.hpp"

namespace binserve {

generation_request generation_of(const request& r) {
  generation_request g;
  g.prompt_ids = r.prompt_ids;
  g.sampling = {r.temperature, r.top_p, r.seed.value_or(0)};
  g.rules = {r.presence_penalty, r.frequency_penalty, r.logit_bias, r.min_tokens};
  g.stop = r.stop;
  g.ignore_eos = r.ignore_eos;
  g.logprobs = r.logprobs;
  g.max_new_tokens = r.max_new_tokens;
  return g;
}

}  // namespace binserve
