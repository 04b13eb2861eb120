// binserve::openai: translation between the OpenAI-compatible HTTP API and
// binserve's requests, results and stats. Pure functions: no sockets, no
// threads; every input is untrusted bytes and nothing here throws.
//
// Endpoints served (see docs/http.md):
//   POST /v1/completions       {model?, prompt, max_tokens=16, temperature=1,
//                               top_p=1, seed=0, stream=false, stop=null, n=1}
//   POST /v1/chat/completions  {model?, messages: [{role, content}], ...same}
//   GET  /v1/models, GET /health, GET /metrics (Prometheus text format)
//
// Chat template: the model is a plain text model, so the prompt is the
// messages' contents joined by "\n" (roles are not rendered).
// `model` is optional and not checked; responses name the served model.
// `user` (a string), when given, is the request's fairness key: request::client
// = "user:<user>", so one user's requests share one fair share across
// connections; without it the server keys the request by its connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "binserve/request.hpp"
#include "binserve/stats.hpp"
#include "binserve/status.hpp"

namespace binserve::openai {

enum class api_kind { completion, chat };

// An OpenAI-style error: {"error": {"message", "type", "param", "code"}}.
struct api_error {
  int http_status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // the offending request field; empty: null
  std::string code;   // binserve's error_code name, or an HTTP-level code
};

struct api_call {
  api_kind kind = api_kind::completion;
  request req;
  bool stream = false;
};

// Either the call, or the error (HTTP 400) to answer with.
struct parsed_call {
  std::optional<api_call> call;
  api_error error;  // meaningful when !call
};

// Body of POST /v1/completions: `prompt` must be a string; stop sequences
// and n != 1 are rejected.
parsed_call parse_completion(std::string_view body);

// Body of POST /v1/chat/completions: `messages` a non-empty array of
// {role: string, content: string}; `max_completion_tokens` is accepted as
// an alias of `max_tokens`.
parsed_call parse_chat_completion(std::string_view body);

// overloaded 429, input_too_large / invalid_argument / protocol_malformed
// 400, timed_out 504, shutting_down 503, anything else 500.
int http_status_for(error_code code);

// The api_error for a service error, its HTTP status from http_status_for.
api_error to_api_error(const status& s);

std::string error_json(const api_error& e);

// What every response object of one request shares.
struct response_meta {
  api_kind kind = api_kind::completion;
  request_id id = 0;  // rendered "cmpl-<id>" or "chatcmpl-<id>"
  std::string model;
  std::int64_t created = 0;  // unix seconds
};

// "stop" when the model emitted a stop token, "length" otherwise.
std::string finish_reason(const result& r);

// A text_completion or chat.completion object, with usage.
std::string response_json(const response_meta& m, const result& r);

// One SSE event "data: {chunk}\n\n": a text_completion chunk {text} or a
// chat.completion.chunk {delta: {content}}, finish_reason null.
std::string stream_chunk(const response_meta& m, std::string_view piece);

// The last chunk: empty text / delta, with `reason`.
std::string stream_final_chunk(const response_meta& m, std::string_view reason);

// "data: {"error": ...}\n\n", for a failure after the stream started.
std::string stream_error(const api_error& e);

inline constexpr std::string_view stream_done = "data: [DONE]\n\n";

std::string models_json(const std::string& model);
std::string health_json();

// Prometheus text exposition (version 0.0.4) of `s`; a bin whose upper edge
// is INT_MAX gets hi="+Inf".
std::string metrics_text(const stats& s);

// Length of the longest prefix of `bytes` that does not end inside a UTF-8
// sequence (streamed pieces may split a character).
std::size_t complete_utf8_prefix(std::string_view bytes);

}  // namespace binserve::openai
