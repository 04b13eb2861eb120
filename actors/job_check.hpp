// The check of a job's scheduling fields, which the gpu layer never sees
// (its generation fields are gpu/generate.hpp's validate_request's).
#pragma once

#include "actors/messages.hpp"
#include "binserve/status.hpp"

namespace binserve {

// priority in [kMinPriority, kMaxPriority], length_hint 0 (none) or in
// [1, j.gen.max_new_tokens].
// Precondition: j.gen.max_new_tokens is resolved (not the request's 0).
// Errors: invalid_argument, the message beginning with the field's name.
status validate_scheduling(const job& j);

}  // namespace binserve
