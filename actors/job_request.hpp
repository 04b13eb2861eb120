// A job's generation rules, as the gpu layer takes them: what the service
// validates a request against and what an executor runs it with.
#pragma once

#include "actors/messages.hpp"
#include "gpu/generate.hpp"

namespace binserve {

// The generation_request of `j`: its prompt, sampling, logit rules, stop
// strings and lengths (resumed tokens are not part of it).
generation_request request_of(const job& j);

}  // namespace binserve
