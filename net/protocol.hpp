// binserve's TCP protocol: one JSON object per line, both ways (see
// docs/protocol.md). Pure functions, no sockets, so they can be fuzzed.
//
// Client -> server: generate, cancel, stats, ping, auth.
// Server -> client: token, done, error, stats, pong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "binserve/request.hpp"
#include "binserve/stats.hpp"
#include "binserve/status.hpp"

namespace binserve::net {

// A client's request id, echoed on every event about that request: a string,
// an integer, or none (errors about a line that had no readable id).
using client_id = std::variant<std::monostate, std::int64_t, std::string>;

struct generate_message {
  client_id id;
  request req;            // prompt or prompt_ids, sampling, deadline
  int target_length = 0;  // a replayed length trace's (actors/trace_replay.hpp)
  bool stream = false;    // send a `token` event per generated token
};

struct cancel_message {
  client_id id;
};

struct stats_message {};
struct ping_message {};

struct auth_message {
  std::string token;
};

using client_message = std::variant<generate_message, cancel_message, stats_message, ping_message, auth_message>;

// Parses one line (without its '\n'; a trailing '\r' is ignored).
// Errors: input_too_large (line longer than max_bytes), protocol_malformed
// (not JSON, not an object, unknown "type", unknown field, wrong type or a
// missing required field; the message names the field).
status_or<client_message> parse_client_line(std::string_view line, std::size_t max_bytes);

// Encoders of server events: one JSON object each, without the '\n'.
// Text that is not valid UTF-8 (a token that is part of a character) has the
// invalid bytes replaced by U+FFFD.
// A token event carries "logprobs" ({token, logprob, top: [{token, logprob}]})
// when the request asked for them; a done event carries the seed used and,
// when asked for, one such entry per generated token.
std::string encode_token(const client_id& id, const generated_token& t);
std::string encode_done(const client_id& id, const result& r);
std::string encode_error(const client_id& id, const status& s);
std::string encode_stats(const stats& s);
std::string encode_pong();

// Encoders of client messages (for clients and tests), without the '\n'.
// encode_generate omits fields at their defaults.
std::string encode_generate(const generate_message& m);
std::string encode_cancel(const client_id& id);
std::string encode_auth(const std::string& token);

// Client side: a decoded server event.
struct token_event {
  client_id id;
  int index = 0;
  int token = 0;
  std::string text;
  std::optional<token_logprobs> logprobs;
};
struct done_event {
  client_id id;
  result res;  // prompt_ids is left empty: the event carries only their count
  int prompt_tokens = 0;
};
struct error_event {
  client_id id;
  status error;
};
struct stats_event {
  stats value;
};
struct pong_event {};

using server_event = std::variant<token_event, done_event, error_event, stats_event, pong_event>;

// Errors: protocol_malformed (not one of the events above, naming what is wrong).
status_or<server_event> parse_server_line(std::string_view line);

// "\"abc\"", "7" or "null": an id as it appears on the wire, for messages.
std::string id_to_string(const client_id& id);

}  // namespace binserve::net
