// binserve::openai: rendering answers, stream chunks and errors
// (net/openai.hpp).
#include <nlohmann/json.hpp>

#include "net/openai.hpp"

namespace binserve::openai {
namespace {

// Ordered: keys stay in the order written (OpenAI's field order, and
// top_logprobs most likely first).
using json = nlohmann::ordered_json;

// Invalid UTF-8 (a token that is part of a character) becomes U+FFFD.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string sse(const json& j) { return "data: " + dump(j) + "\n\n"; }

const char* object_name(const response_meta& m, bool chunk) {
  if (m.kind == api_kind::completion) return "text_completion";
  return chunk ? "chat.completion.chunk" : "chat.completion";
}

json envelope(const response_meta& m, bool chunk) {
  const char* prefix = m.kind == api_kind::chat ? "chatcmpl-" : "cmpl-";
  return {{"id", prefix + std::to_string(m.id)},
          {"object", object_name(m, chunk)},
          {"created", m.created},
          {"model", m.model},
          {"system_fingerprint", "binserve"}};
}

json usage_json(const usage_counts& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"completion_tokens", u.completion_tokens},
          {"total_tokens", u.prompt_tokens + u.completion_tokens}};
}

json bytes_of(const std::string& text) {
  json a = json::array();
  for (unsigned char c : text) a.push_back(static_cast<int>(c));
  return a;
}

// Chat's shape: {token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}.
json chat_entry(const token_logprobs& lp, const token_text_fn& text_of) {
  auto one = [&](const token_logprob& t) {
    const std::string text = text_of(t.token);
    return json{{"token", text}, {"logprob", t.logprob}, {"bytes", bytes_of(text)}};
  };
  json entry = one(lp.chosen);
  entry["top_logprobs"] = json::array();
  for (const token_logprob& t : lp.top) entry["top_logprobs"].push_back(one(t));
  return entry;
}

// The legacy completions shape, as four parallel arrays.
json completion_logprobs(std::span<const token_logprobs> lps, std::size_t offset, const token_text_fn& text_of) {
  json out = {{"tokens", json::array()},
              {"token_logprobs", json::array()},
              {"top_logprobs", json::array()},
              {"text_offset", json::array()}};
  for (const token_logprobs& lp : lps) {
    const std::string text = text_of(lp.chosen.token);
    json top = json::object();
    for (const token_logprob& t : lp.top) top[text_of(t.token)] = t.logprob;
    out["tokens"].push_back(text);
    out["token_logprobs"].push_back(lp.chosen.logprob);
    out["top_logprobs"].push_back(std::move(top));
    out["text_offset"].push_back(offset);
    offset += text.size();
  }
  return out;
}

json logprobs_json(api_kind kind, std::span<const token_logprobs> lps, std::size_t offset,
                   const token_text_fn& text_of) {
  if (kind == api_kind::completion) return completion_logprobs(lps, offset, text_of);
  json content = json::array();
  for (const token_logprobs& lp : lps) content.push_back(chat_entry(lp, text_of));
  return {{"content", content}};
}

json choice_json(const response_meta& m, const choice_output& c, answer_fields fields, const token_text_fn& text_of) {
  const result& r = *c.r;
  const json logprobs = fields.logprobs ? logprobs_json(m.kind, r.logprobs, c.prefix.size(), text_of) : json(nullptr);
  json j = {{"index", c.index}, {"finish_reason", finish_reason(r)}, {"logprobs", logprobs}, {"seed", r.seed}};
  if (m.kind == api_kind::completion)
    j["text"] = c.prefix + r.text;
  else
    j["message"] = {{"role", "assistant"}, {"content", r.text}};
  if (fields.token_ids && m.kind == api_kind::completion) j["prompt_token_ids"] = r.prompt_ids;
  if (fields.token_ids) j["token_ids"] = r.generated_ids;
  return j;
}

json chunk_choice(const response_meta& m, int index, std::string_view text, const json& reason) {
  if (m.kind == api_kind::completion)
    return {{"index", index}, {"text", text}, {"logprobs", nullptr}, {"finish_reason", reason}};
  json delta = text.empty() ? json::object() : json{{"content", text}};
  return {{"index", index}, {"delta", delta}, {"logprobs", nullptr}, {"finish_reason", reason}};
}

// The request field a service message is about (binserve's names, as the
// messages of validate_request and the intake begin), as the endpoint calls it.
std::string param_of(std::string_view message, api_kind kind) {
  const bool chat = kind == api_kind::chat;
  if (message.starts_with("the prompt") || message.starts_with("prompt")) return chat ? "messages" : "prompt";
  if (message.starts_with("max_new_tokens")) return chat ? "max_completion_tokens" : "max_tokens";
  if (message.find("stop string") != std::string_view::npos) return "stop";
  if (message.starts_with("logprobs")) return chat ? "top_logprobs" : "logprobs";
  for (const char* field : {"temperature", "top_p", "min_tokens", "presence_penalty", "frequency_penalty", "logit_bias",
                            "priority", "length_hint"})
    if (message.starts_with(field)) return field;
  return {};
}

}  // namespace

int http_status_for(error_code code) {
  switch (code) {
    case error_code::invalid_argument:
    case error_code::protocol_malformed:
    case error_code::input_too_large:
      return 400;
    case error_code::overloaded:
      return 429;
    case error_code::timed_out:
      return 504;
    case error_code::shutting_down:
      return 503;
    default:
      return 500;
  }
}

api_error to_api_error(const status& s, api_kind kind) {
  api_error e;
  e.http_status = http_status_for(s.code());
  e.message = s.message();
  e.code = to_string(s.code());
  if (e.http_status == 400) e.param = param_of(e.message, kind);
  if (e.http_status == 429) e.type = "rate_limit_error";
  if (e.http_status >= 500) e.type = "server_error";
  return e;
}

std::string error_json(const api_error& e) {
  const json param = e.param.empty() ? json(nullptr) : json(e.param);
  return dump({{"error", {{"message", e.message}, {"type", e.type}, {"param", param}, {"code", e.code}}}});
}

std::string finish_reason(const result& r) {
  return r.stop_reason == "stop_token" || r.stop_reason == "stop_string" ? "stop" : "length";
}

std::string response_json(const response_meta& m, std::span<const choice_output> choices, const usage_counts& usage,
                          answer_fields fields, const token_text_fn& text_of) {
  json j = envelope(m, false);
  if (fields.token_ids && m.kind == api_kind::chat && !choices.empty())
    j["prompt_token_ids"] = choices[0].r->prompt_ids;
  j["choices"] = json::array();
  for (const choice_output& c : choices) j["choices"].push_back(choice_json(m, c, fields, text_of));
  j["usage"] = usage_json(usage);
  return dump(j);
}

std::string stream_role_chunk(const response_meta& m, int index) {
  json j = envelope(m, true);
  j["choices"] = json::array({{{"index", index},
                               {"delta", {{"role", "assistant"}, {"content", ""}}},
                               {"logprobs", nullptr},
                               {"finish_reason", nullptr}}});
  return sse(j);
}

std::string stream_chunk(const response_meta& m, int index, std::string_view text, const generated_token* logprobs_of,
                         std::size_t text_offset, const token_text_fn& text_of) {
  json j = envelope(m, true);
  json choice = chunk_choice(m, index, text, nullptr);
  if (logprobs_of && logprobs_of->logprobs)
    choice["logprobs"] = logprobs_json(m.kind, std::span(&*logprobs_of->logprobs, 1), text_offset, text_of);
  j["choices"] = json::array({choice});
  return sse(j);
}

std::string stream_final_chunk(const response_meta& m, int index, std::string_view reason) {
  json j = envelope(m, true);
  j["choices"] = json::array({chunk_choice(m, index, "", reason)});
  return sse(j);
}

std::string stream_usage_chunk(const response_meta& m, const usage_counts& usage) {
  json j = envelope(m, true);
  j["choices"] = json::array();
  j["usage"] = usage_json(usage);
  return sse(j);
}

std::string stream_error(const api_error& e) { return "data: " + error_json(e) + "\n\n"; }

std::string model_json(const std::string& model) {
  return dump({{"id", model}, {"object", "model"}, {"created", 0}, {"owned_by", "binserve"}});
}

std::string models_json(const std::string& model) {
  return dump({{"object", "list"}, {"data", json::array({json::parse(model_json(model))})}});
}

std::string health_json(bool draining) { return draining ? R"({"status":"draining"})" : R"({"status":"ok"})"; }

std::size_t complete_utf8_prefix(std::string_view bytes) {
  // Look back at most 3 bytes for the lead byte of an unfinished sequence.
  const std::size_t n = bytes.size();
  for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
    const auto c = static_cast<unsigned char>(bytes[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking
    const std::size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

}  // namespace binserve::openai
