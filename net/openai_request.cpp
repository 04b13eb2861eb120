// binserve::openai: parsing the two POST bodies (net/openai.hpp).
#include <algorithm>
#include <climits>
#include <nlohmann/json.hpp>

#include "net/openai.hpp"

namespace binserve::openai {
namespace {

using json = nlohmann::json;

constexpr int kMaxN = 16;             // samples per prompt
constexpr int kMaxChoices = 64;       // prompts x n: one call's work stays bounded
constexpr std::size_t kMaxStops = 4;  // OpenAI's limit
constexpr std::size_t kMaxLogitBias = 300;
constexpr int kMaxLogprobs = 20;

// What an endpoint accepts; any other key is a 400 naming it.
const std::vector<std::string_view> kCommonKeys = {"model",
                                                   "max_tokens",
                                                   "temperature",
                                                   "top_p",
                                                   "n",
                                                   "seed",
                                                   "stream",
                                                   "stream_options",
                                                   "stop",
                                                   "presence_penalty",
                                                   "frequency_penalty",
                                                   "logit_bias",
                                                   "logprobs",
                                                   "user",
                                                   "ignore_eos",
                                                   "min_tokens",
                                                   "priority",
                                                   "length_hint",
                                                   "return_token_ids"};
const std::vector<std::string_view> kCompletionKeys = {"prompt", "suffix", "echo", "best_of"};
const std::vector<std::string_view> kChatKeys = {
    "messages", "max_completion_tokens", "top_logprobs",       "response_format",
    "tools",    "tool_choice",           "parallel_tool_calls"};

// The first failure of a parse, with the parameter it names.
struct failure {
  std::string param;
  std::string message;
};
using check = std::optional<failure>;

check fail(std::string param, std::string message) { return failure{std::move(param), std::move(message)}; }

// The value at `key` when present and not null.
const json* field(const json& body, const char* key) {
  auto it = body.find(key);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

check known_keys(const json& body, const std::vector<std::string_view>& own) {
  for (const auto& item : body.items()) {
    const std::string& key = item.key();
    const auto known = [&](const std::vector<std::string_view>& keys) {
      return std::find(keys.begin(), keys.end(), key) != keys.end();
    };
    if (!known(kCommonKeys) && !known(own)) return fail(key, "unrecognized request argument supplied: " + key);
  }
  return std::nullopt;
}

check read_int(const json& body, const char* key, std::int64_t lo, std::int64_t hi, int& out) {
  const json* v = field(body, key);
  if (!v) return std::nullopt;
  if (!v->is_number_integer() || v->get<std::int64_t>() < lo || v->get<std::int64_t>() > hi) {
    const bool any_int = lo == INT_MIN && hi == INT_MAX;  // the range is the service's to check
    return fail(key, std::string(key) + " must be an integer" +
                         (any_int ? "" : " in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]"));
  }
  out = static_cast<int>(v->get<std::int64_t>());
  return std::nullopt;
}

// A number. Its range is the service's to check (validate_request), as for
// every entry point; its rejection names the same parameter.
check read_number(const json& body, const char* key, float& out) {
  const json* v = field(body, key);
  if (!v) return std::nullopt;
  if (!v->is_number()) return fail(key, std::string(key) + " must be a number");
  out = static_cast<float>(v->get<double>());
  return std::nullopt;
}

check read_bool(const json& body, const char* key, bool& out) {
  const json* v = field(body, key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) return fail(key, std::string(key) + " must be a boolean");
  out = v->get<bool>();
  return std::nullopt;
}

// stop: a string or up to 4 strings; "" and [] mean none.
check read_stop(const json& body, std::vector<std::string>& out) {
  const json* v = field(body, "stop");
  if (!v) return std::nullopt;
  const json list = v->is_string() ? json::array({*v}) : *v;
  if (!list.is_array() || list.size() > kMaxStops ||
      !std::all_of(list.begin(), list.end(), [](const json& s) { return s.is_string(); }))
    return fail("stop", "stop must be a string or an array of at most 4 strings");
  for (const json& s : list)
    if (!s.get<std::string>().empty()) out.push_back(s.get<std::string>());
  return std::nullopt;
}

// logit_bias: {"<token id>": bias}.
check read_logit_bias(const json& body, std::vector<logit_bias_entry>& out) {
  const json* v = field(body, "logit_bias");
  if (!v) return std::nullopt;
  if (!v->is_object() || v->size() > kMaxLogitBias)
    return fail("logit_bias", "logit_bias must be an object of at most 300 {\"token id\": bias} entries");
  for (const auto& item : v->items()) {
    const std::string& key = item.key();
    std::size_t used = 0;
    int token = -1;
    try {
      token = std::stoi(key, &used);
    } catch (...) {
      used = 0;
    }
    if (used == 0 || used != key.size() || !item.value().is_number())
      return fail("logit_bias", "logit_bias keys must be token ids and values numbers (got \"" + key + "\")");
    out.push_back({token, item.value().get<float>()});
  }
  return std::nullopt;
}

check read_seed(const json& body, std::optional<std::uint64_t>& out) {
  const json* v = field(body, "seed");
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) return fail("seed", "seed must be an integer");
  out = v->is_number_unsigned() ? v->get<std::uint64_t>() : static_cast<std::uint64_t>(v->get<std::int64_t>());
  return std::nullopt;
}

check read_user(const json& body, std::string& client) {
  const json* v = field(body, "user");
  if (!v) return std::nullopt;
  if (!v->is_string()) return fail("user", "user must be a string");
  client = "user:" + v->get<std::string>();
  return std::nullopt;
}

check read_stream(const json& body, api_call& call) {
  if (auto c = read_bool(body, "stream", call.stream)) return c;
  const json* opts = field(body, "stream_options");
  if (!opts) return std::nullopt;
  if (!call.stream) return fail("stream_options", "stream_options is only allowed with stream: true");
  if (!opts->is_object()) return fail("stream_options", "stream_options must be an object");
  for (const auto& item : opts->items())
    if (item.key() != "include_usage")
      return fail("stream_options", "stream_options." + item.key() + " is not supported");
  return read_bool(*opts, "include_usage", call.include_usage);
}

// The fields both endpoints share, into `base` (the prompt is set later).
// max_tokens defaults to 16 for completions (OpenAI's legacy default) and,
// for chat, to what the deployment allows (0), as OpenAI and vLLM do.
check read_common(const json& body, const char* max_tokens_key, api_call& call, request& base) {
  base.temperature = 1.0f;
  base.max_new_tokens = call.kind == api_kind::chat ? 0 : 16;
  if (const json* m = field(body, "model")) {
    if (!m->is_string()) return fail("model", "model must be a string");
    call.model = m->get<std::string>();
  }
  const char* mt = field(body, max_tokens_key) ? max_tokens_key : "max_tokens";
  for (check c :
       {read_int(body, mt, 1, INT_MAX, base.max_new_tokens), read_number(body, "temperature", base.temperature),
        read_number(body, "top_p", base.top_p), read_seed(body, base.seed), read_int(body, "n", 1, kMaxN, call.n),
        read_stream(body, call), read_stop(body, base.stop),
        read_number(body, "presence_penalty", base.presence_penalty),
        read_number(body, "frequency_penalty", base.frequency_penalty), read_logit_bias(body, base.logit_bias),
        read_user(body, base.client), read_bool(body, "ignore_eos", base.ignore_eos),
        read_int(body, "min_tokens", 0, INT_MAX, base.min_tokens),
        read_int(body, "priority", INT_MIN, INT_MAX, base.priority),
        read_int(body, "length_hint", 1, INT_MAX, base.length_hint),
        read_bool(body, "return_token_ids", call.return_token_ids)})
    if (c) return c;
  if (call.return_token_ids && call.stream)
    return fail("return_token_ids", "return_token_ids is supported without stream only");
  return std::nullopt;
}

// One choice per prompt and sample, in OpenAI's order.
check expand(api_call& call, const request& base, const std::vector<request>& prompts) {
  if (static_cast<int>(prompts.size()) * call.n > kMaxChoices)
    return fail("n", "prompts x n must be at most " + std::to_string(kMaxChoices));
  for (const request& p : prompts)
    for (int j = 0; j < call.n; ++j) {
      request r = base;
      r.prompt = p.prompt;
      r.prompt_ids = p.prompt_ids;
      if (base.seed) r.seed = *base.seed + static_cast<std::uint64_t>(j);
      call.choices.push_back(std::move(r));
    }
  return std::nullopt;
}

bool is_token_ids(const json& a) {
  return a.is_array() && !a.empty() &&
         std::all_of(a.begin(), a.end(), [](const json& t) { return t.is_number_integer(); });
}

// prompt: a string, strings, token ids, or lists of token ids.
check read_prompts(const json& body, std::vector<request>& out) {
  const json* v = field(body, "prompt");
  const check bad = fail("prompt",
                         "prompt is required: a string, an array of strings, an array of token "
                         "ids or an array of such arrays");
  if (!v) return bad;
  auto one = [&](const json& p) {
    request r;
    if (p.is_string())
      r.prompt = p.get<std::string>();
    else if (is_token_ids(p)) {
      for (const json& t : p) {
        if (t.get<std::int64_t>() < INT_MIN || t.get<std::int64_t>() > INT_MAX) return false;
        r.prompt_ids.push_back(static_cast<int>(t.get<std::int64_t>()));
      }
    } else
      return false;
    out.push_back(std::move(r));
    return true;
  };
  if (v->is_string() || is_token_ids(*v)) return one(*v) ? std::nullopt : bad;
  if (!v->is_array() || v->empty()) return bad;
  for (const json& p : *v)
    if (!one(p)) return bad;
  return std::nullopt;
}

// Completion parameters binserve does not implement: rejected, not ignored.
check completion_extras(const json& body, api_call& call) {
  if (const json* s = field(body, "suffix"); s && !(s->is_string() && s->get<std::string>().empty()))
    return fail("suffix", "suffix is not supported: the model has no fill-in-the-middle mode");
  if (const json* b = field(body, "best_of"); b && !(b->is_number_integer() && b->get<std::int64_t>() == call.n))
    return fail("best_of", "best_of is not supported (only best_of = n)");
  if (auto c = read_bool(body, "echo", call.echo)) return c;
  if (const json* lp = field(body, "logprobs")) {
    if (!lp->is_number_integer() || lp->get<std::int64_t>() < 0 || lp->get<std::int64_t>() > kMaxLogprobs)
      return fail("logprobs", "logprobs must be an integer in [0, 20]");
    call.logprobs = true;
  }
  if (call.echo && call.logprobs)
    return fail("echo", "echo with logprobs is not supported: binserve does not score prompt tokens");
  return std::nullopt;
}

// Chat parameters for features binserve does not have: accepted only at
// their "off" values.
check chat_extras(const json& body, api_call& call) {
  if (const json* t = field(body, "tools"); t && !(t->is_array() && t->empty()))
    return fail("tools", "tool calling is not supported");
  if (const json* c = field(body, "tool_choice"); c && *c != "none" && *c != "auto")
    return fail("tool_choice", "tool calling is not supported (tool_choice may only be none or auto)");
  if (const json* p = field(body, "parallel_tool_calls"); p && !p->is_boolean())
    return fail("parallel_tool_calls", "parallel_tool_calls must be a boolean");
  if (const json* f = field(body, "response_format");
      f && !(f->is_object() && f->size() == 1 && f->value("type", "") == "text"))
    return fail("response_format", "response_format is not supported beyond {\"type\": \"text\"}");
  bool logprobs = false;
  if (auto c = read_bool(body, "logprobs", logprobs)) return c;
  int top = 0;
  if (auto c = read_int(body, "top_logprobs", 0, kMaxLogprobs, top)) return c;
  if (field(body, "top_logprobs") && !logprobs) return fail("top_logprobs", "top_logprobs needs logprobs: true");
  call.logprobs = logprobs;
  for (request& r : call.choices) r.logprobs = logprobs ? top : -1;
  return std::nullopt;
}

// A message's text: a string, null, or text parts.
check message_text(const json& m, std::size_t i, std::string& out) {
  const std::string where = "messages[" + std::to_string(i) + "]";
  if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
    return fail("messages", where + " must be an object with a string role");
  const std::string role = m["role"].get<std::string>();
  if (role != "system" && role != "developer" && role != "user" && role != "assistant")
    return fail("messages", where + ".role \"" + role + "\" is not supported (system, developer, user, assistant)");
  if (m.contains("tool_calls") && !m["tool_calls"].is_null() && !m["tool_calls"].empty())
    return fail("messages", where + ".tool_calls: tool calling is not supported");
  if (!m.contains("content")) return fail("messages", where + " has no content");
  const json& c = m["content"];
  if (c.is_null()) return std::nullopt;
  if (c.is_string()) {
    out = c.get<std::string>();
    return std::nullopt;
  }
  if (!c.is_array()) return fail("messages", where + ".content must be a string, null or an array of parts");
  for (std::size_t j = 0; j < c.size(); ++j) {
    const json& part = c[j];
    if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") || !part["text"].is_string())
      return fail("messages", where + ".content[" + std::to_string(j) +
                                  "] must be {\"type\": \"text\", \"text\": string} (other parts are not supported)");
    out += part["text"].get<std::string>();
  }
  return std::nullopt;
}

// The messages (developer is OpenAI's newer name for system), and the prompt
// a model without a chat template gets: their texts joined by "\n".
check read_messages(const json& body, std::vector<chat_message>& out, std::string& prompt) {
  const json* messages = field(body, "messages");
  if (!messages || !messages->is_array() || messages->empty())
    return fail("messages", "messages is required and must be a non-empty array");
  for (std::size_t i = 0; i < messages->size(); ++i) {
    std::string text;
    if (auto c = message_text((*messages)[i], i, text)) return c;
    const std::string role = (*messages)[i]["role"].get<std::string>();
    out.push_back({role == "developer" ? "system" : role, text});
    if (text.empty() && (*messages)[i]["content"].is_null()) continue;
    if (!prompt.empty()) prompt += "\n";
    prompt += text;
  }
  return std::nullopt;
}

parsed_call failed(failure f) {
  parsed_call out;
  out.error.message = std::move(f.message);
  out.error.param = std::move(f.param);
  out.error.code = to_string(error_code::invalid_argument);
  return out;
}

// Parses `text` as a JSON object; nullopt (and `error` set) otherwise.
std::optional<json> parse_object(std::string_view text, parsed_call& error) {
  json body = json::parse(text, nullptr, false);
  if (body.is_discarded())
    error = failed({"", "the request body is not valid JSON"});
  else if (!body.is_object())
    error = failed({"", "the request body must be a JSON object"});
  else
    return body;
  return std::nullopt;
}

}  // namespace

parsed_call parse_completion(std::string_view text) {
  parsed_call out;
  auto body = parse_object(text, out);
  if (!body) return out;
  api_call call;
  request base;
  std::vector<request> prompts;
  check c = known_keys(*body, kCompletionKeys);
  if (!c) c = read_prompts(*body, prompts);
  if (!c) c = read_common(*body, "max_tokens", call, base);
  if (!c) c = completion_extras(*body, call);
  if (!c && call.logprobs) base.logprobs = (*body)["logprobs"].get<int>();
  if (!c) c = expand(call, base, prompts);
  if (c) return failed(std::move(*c));
  out.call = std::move(call);
  return out;
}

parsed_call parse_chat_completion(std::string_view text) {
  parsed_call out;
  auto body = parse_object(text, out);
  if (!body) return out;
  api_call call;
  call.kind = api_kind::chat;
  request base, prompt;
  check c = known_keys(*body, kChatKeys);
  if (!c) c = read_messages(*body, call.messages, prompt.prompt);
  if (!c) c = read_common(*body, "max_completion_tokens", call, base);
  if (!c) c = expand(call, base, {prompt});
  if (!c) c = chat_extras(*body, call);
  if (c) return failed(std::move(*c));
  out.call = std::move(call);
  return out;
}

}  // namespace binserve::openai
