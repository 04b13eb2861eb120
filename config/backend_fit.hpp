// binserve: whether the backends a deployment asks for fit, without
// creating them.
//
// service::start creates one backend per executor, and one more for the
// embedding predictor, with make_backend. make_backend refuses some before
// it allocates (cpu: a dtype other than fp32; a KV budget that buys no
// block; one backend's weights and KV cache over 90% of host memory; null: a
// vocabulary without its token), but each CPU backend measures only itself:
// N of them pass one at a time and exhaust the host together, which ends in
// std::bad_alloc or the OOM killer. check_backend_fit applies make_backend's
// own tests (tests/config pins that it agrees with make_backend) and adds
// the sum over every CPU backend. A cuda backend's KV cache is sized from
// the GPU's free memory at start: only an explicit budget is checked.
#pragma once

#include "binserve/status.hpp"
#include "config/deployment_loader.hpp"
#include "gpu/model.hpp"

namespace binserve {

// Errors: config_invalid "FILE:LINE:COL: KEY: what" at model.dtype (cpu
// without fp32), backend.kind (null without a vocabulary above kNullToken),
// backend.kv_cache_bytes (holds no block; one executor over 90% of host
// memory), model.dummy (its weights alone over it), predictor.kind (the
// embedding predictor's KV cache holds no block) or executors (all the CPU
// backends together over 90% of host memory).
status check_backend_fit(const located_deployment& d, const model& m);

}  // namespace binserve
