// The client side of `binserve-bench soak`: many TCP connections to one server
// that submit, stream, cancel at random moments, disconnect mid-stream and
// reconnect, and send malformed lines, oversized lines and oversized
// prompts, while checking that every request the server could answer got
// exactly one final `done` or `error`.
//
// Accounting. Request ids are 0, 1, 2, ... in submission order, never
// reused. A request is *abandoned* when the soak itself closes its
// connection before the final event (the server cancels it and cannot
// answer); every other request sent is *accepted*, and must get exactly one
// final: `lost` counts accepted requests without one when the run ends,
// `duplicated` the finals beyond the first. Lines the server must reject
// without an id (malformed, oversized) are matched in order per connection.
//
// Runs on the calling thread (one Asio io_context); not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "binserve/status.hpp"

namespace binserve::tools {

struct soak_options {
  std::string host = "127.0.0.1";
  int port = 7070;
  std::string auth_token;  // sent first on each connection when not empty
  int connections = 32;
  int in_flight = 8;            // requests each connection keeps unfinished
  long long requests = 100000;  // generate requests to send in all
  double seconds = 600;         // no new request after this long
  double drain_seconds = 60;    // then at most this long for the last finals
  int max_new_tokens = 4;
  double stream_ratio = 0.5;              // of requests: streamed
  double cancel_ratio = 0.1;              // of requests: a cancel follows 0..8 events later
  double disconnect_ratio = 0.001;        // per event received: close and reconnect
  double malformed_ratio = 0.01;          // per request: a malformed line sent before it
  double oversized_prompt_ratio = 0.005;  // of requests: a prompt of oversized_prompt_words
  int oversized_prompt_words = 3000;
  double oversized_line_ratio = 0.0;  // per request: a line of oversized_line_bytes
  int oversized_line_bytes = 0;
  std::uint64_t seed = 1;
  // Called once, on the soak's thread, when 10% of the requests have finished.
  std::function<void()> at_warmup;
};

struct soak_report {
  long long sent = 0;       // generate requests written
  long long accepted = 0;   // sent and not abandoned
  long long abandoned = 0;  // on a connection the soak closed before their final
  long long done = 0;       // finals that are `done`
  long long errors = 0;     // finals that are `error`
  std::map<std::string, long long> errors_by_code;
  long long lost = 0;         // accepted, no final
  long long duplicated = 0;   // finals after the first for an id
  long long unmatched = 0;    // events for ids never sent, or id-less errors not expected
  long long late_tokens = 0;  // token events after the request's final
  long long cancels_sent = 0;
  long long streamed = 0;
  long long oversized_prompts = 0;
  long long malformed_sent = 0;      // malformed and oversized lines
  long long malformed_rejected = 0;  // their id-less errors received
  long long missing_rejections = 0;  // of those sent on connections still open: never answered
  long long disconnects = 0;         // closed by the soak
  long long server_closes = 0;       // closed by the server (a failure unless auth fails)
  double elapsed_s = 0;

  bool clean() const {
    return lost == 0 && duplicated == 0 && unmatched == 0 && late_tokens == 0 && missing_rejections == 0 &&
           server_closes == 0;
  }
};

// Runs the soak against host:port. Errors: io_error when no connection can
// be made at the start.
status_or<soak_report> run_soak(const soak_options& options);

}  // namespace binserve::tools
