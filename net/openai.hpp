// binserve::openai: translation between the OpenAI-compatible HTTP API and
// binserve's requests and results. Pure functions: no sockets, no threads;
// every input is untrusted bytes and nothing here throws. docs/http.md lists
// what is supported and what is rejected.
//
// Endpoints (net/http_server.hpp routes them):
//   POST /v1/completions       {model?, prompt, max_tokens=16, temperature=1, top_p=1,
//                               n=1, seed?, stream=false, stream_options?, stop?,
//                               presence_penalty=0, frequency_penalty=0, logit_bias?,
//                               logprobs? (0..20), echo=false, user?,
//                               ignore_eos=false, min_tokens=0 (vLLM's),
//                               priority=0 (vLLM's, but HIGHER is more urgent),
//                               length_hint? (binserve's: 1..max_tokens)}
//   POST /v1/chat/completions  {model?, messages: [{role, content}], the same but
//                               echo; logprobs: bool, top_logprobs (0..20)}
// Parameters OpenAI defines that binserve does not implement (suffix,
// best_of != n, tools, tool_choice other than none/auto, functions,
// response_format other than text, echo with logprobs, ...) and unknown
// parameters are rejected with 400 naming the parameter, never ignored.
//
// Chat: the server renders the messages with the model's chat template (or
// server.chat_template) into the prompt (net/chat_prompt.hpp); for a model
// without one, the prompt is the messages' texts joined by "\n".
// return_token_ids (vLLM's, without stream): the answer also carries the
// prompt's token ids and each choice's generated ones.
// `user` (a string), when given, is the request's fairness key: request::client
// = "user:<user>"; without it the server keys the request by its connection.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "binserve/request.hpp"
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

// One chat message; `role` is system, user or assistant (developer is read as
// system), `content` its text.
struct chat_message {
  std::string role;
  std::string content;
};

// One POST, parsed: the requests to submit (one per choice) and how to
// render the answer.
struct api_call {
  api_kind kind = api_kind::completion;
  std::string model;  // as asked; empty when absent
  // Choice i answers prompt i / n with sample i % n (OpenAI's order). With a
  // seed, sample j is seeded seed + j.
  std::vector<request> choices;
  int n = 1;
  bool stream = false;
  bool include_usage = false;          // stream_options.include_usage
  bool echo = false;                   // completions: each text starts with its prompt
  bool logprobs = false;               // answers carry logprobs (choices[i].logprobs >= 0)
  bool return_token_ids = false;       // answers carry prompt_token_ids and token_ids
  std::vector<chat_message> messages;  // chat: the conversation, in order
};

// Either the call, or the error (HTTP 400) to answer with.
struct parsed_call {
  std::optional<api_call> call;
  api_error error;  // meaningful when !call
};

// The body of POST /v1/completions. `prompt`: a string, an array of
// strings, an array of token ids, or an array of arrays of token ids.
parsed_call parse_completion(std::string_view body);

// The body of POST /v1/chat/completions: `messages` a non-empty array of
// {role: system|developer|user|assistant, content: string | null | [{type:
// "text", text}]}; `max_completion_tokens` is an alias of `max_tokens`.
parsed_call parse_chat_completion(std::string_view body);

// overloaded 429, input_too_large / invalid_argument / protocol_malformed
// 400, timed_out 504, shutting_down 503, anything else 500.
int http_status_for(error_code code);

// The api_error for a service error, its HTTP status from http_status_for;
// for a rejected request field (the service's messages begin with the
// field), `param` names it as the endpoint `kind` calls it.
api_error to_api_error(const status& s, api_kind kind = api_kind::completion);

std::string error_json(const api_error& e);

// What every response object of one call shares.
struct response_meta {
  api_kind kind = api_kind::completion;
  request_id id = 0;  // rendered "cmpl-<id>" or "chatcmpl-<id>"
  std::string model;
  std::int64_t created = 0;  // unix seconds
};

// The bytes a token adds to running text (for logprobs' token strings).
using token_text_fn = std::function<std::string(int token)>;

// One finished choice of an answer.
struct choice_output {
  int index = 0;
  const result* r = nullptr;  // its final result
  std::string prefix;         // echo: the prompt text before r->text
};

struct usage_counts {
  std::int64_t prompt_tokens = 0, completion_tokens = 0;
};

// "stop" when the model emitted a stop token or the text reached a stop
// string, "length" otherwise.
std::string finish_reason(const result& r);

// What an answer carries beyond its text.
struct answer_fields {
  bool logprobs = false;   // each choice's logprobs, in the endpoint's shape
  bool token_ids = false;  // vLLM's: prompt_token_ids (chat: top level; completions: per choice) and token_ids
};

// A text_completion or chat.completion object with every choice and usage.
// Each choice carries its seed ("seed", an extension) and `fields`.
std::string response_json(const response_meta& m, std::span<const choice_output> choices, const usage_counts& usage,
                          answer_fields fields, const token_text_fn& text_of);

// SSE events "data: {chunk}\n\n". The first chunk of a chat choice carries
// its role (an empty content delta); then one chunk per streamed piece, its
// token's logprobs when given (`text_offset`: where the token's text begins
// in the choice's text, for completions); then the choice's last chunk with
// its finish_reason; with include_usage, one chunk with usage and no
// choices before [DONE].
std::string stream_role_chunk(const response_meta& m, int index);
std::string stream_chunk(const response_meta& m, int index, std::string_view text, const generated_token* logprobs_of,
                         std::size_t text_offset, const token_text_fn& text_of);
std::string stream_final_chunk(const response_meta& m, int index, std::string_view reason);
std::string stream_usage_chunk(const response_meta& m, const usage_counts& usage);

// "data: {"error": ...}\n\n", for a failure after the stream started.
std::string stream_error(const api_error& e);

inline constexpr std::string_view stream_done = "data: [DONE]\n\n";

// GET /v1/models and GET /v1/models/{id}.
std::string models_json(const std::string& model);
std::string model_json(const std::string& model);
std::string health_json(bool draining);

// Length of the longest prefix of `bytes` that does not end inside a UTF-8
// sequence (streamed pieces may split a character).
std::size_t complete_utf8_prefix(std::string_view bytes);

}  // namespace binserve::openai
