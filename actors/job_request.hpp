// A job as the service checks it: its generation rules, as the gpu layer
// takes them (what the service validates a request against and what an
// executor runs it with), and the scheduling fields the gpu layer never sees.
#pragma once

#include "actors/messages.hpp"
#include "binserve/status.hpp"
#include "gpu/generate.hpp"

namespace binserve {

// The generation_request of `j`: its prompt, sampling, logit rules, stop
// strings and lengths (resumed tokens are not part of it).
generation_request request_of(const job& j);

// The check of j's scheduling fields: priority in [kMinPriority,
// kMaxPriority], length_hint 0 (none) or in [1, j.max_new_tokens].
// Precondition: j.max_new_tokens is resolved (not the request's 0).
// Errors: invalid_argument, the message beginning with the field's name.
status validate_scheduling(const job& j);

}  // namespace binserve
