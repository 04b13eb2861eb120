// binserve's log: spdlog's logger named "binserve". A program (or an
// embedder) that registers a logger of that name before the first service
// starts gets every line; without one, the library makes its own on stderr
// at level warn, so an embedder sees warnings only until it asks for more.
// `binserve serve` sets the level to the deployment's logging.level.
//
// At info, every request that ends writes one line: its id and client, then
// the tokens in and out, why it stopped and its times, or its error.
#pragma once

#include <string>

#include <spdlog/logger.h>

#include "binserve/request.hpp"
#include "binserve/status.hpp"

namespace binserve {

// The logger: the one registered as "binserve", else the library's own.
spdlog::logger& logger();

// "request 7 client=user:alice prompt=81 output=12 stop=stop_token
// retries=0 queue_ms=1.2 first_token_ms=30.5 total_ms=210.0", or
// "request 8 client=tcp:3 error=invalid_argument: the prompt is empty".
std::string request_log_line(request_id id, const std::string& client, const status_or<result>& r);

}  // namespace binserve
