#include "net/protocol.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>
#include <optional>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "actors/stats_schema.hpp"

namespace binserve::net {

namespace {

using json = nlohmann::json;

status malformed(std::string message) { return {error_code::protocol_malformed, std::move(message)}; }

status wrong_type(const std::string& field, const char* expected) {
  return malformed("field \"" + field + "\" must be " + expected);
}

// Every key of `o` must be in `allowed`.
status check_fields(const json& o, const std::string& type, std::initializer_list<const char*> allowed) {
  for (const auto& item : o.items()) {
    const std::string& key = item.key();  // not a structured binding: clang 14 cannot capture one
    const bool known = std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; });
    if (!known) return malformed("unknown field \"" + key + "\" in a \"" + type + "\" message");
  }
  return {};
}

bool fits_int(const json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>() <= std::numeric_limits<int>::max();
  if (!v.is_number_integer()) return false;
  const auto x = v.get<std::int64_t>();
  return x >= std::numeric_limits<int>::min() && x <= std::numeric_limits<int>::max();
}

// Readers of a present field's value `v`, named `name` in their errors.
status read_int(const json& v, const char* name, int& out) {
  if (!fits_int(v)) return wrong_type(name, "an integer (32-bit)");
  out = v.get<int>();
  return {};
}

status read_float(const json& v, const char* name, float& out) {
  if (!v.is_number()) return wrong_type(name, "a number");
  out = v.get<float>();
  return {};
}

status read_bool(const json& v, const char* name, bool& out) {
  if (!v.is_boolean()) return wrong_type(name, "true or false");
  out = v.get<bool>();
  return {};
}

status read_string(const json& v, const char* name, std::string& out) {
  if (!v.is_string()) return wrong_type(name, "a string");
  out = v.get<std::string>();
  return {};
}

status read_seed(const json& v, const char* name, std::optional<std::uint64_t>& out) {
  if (!v.is_number_unsigned()) return wrong_type(name, "a non-negative integer");
  out = v.get<std::uint64_t>();
  return {};
}

status read_ids(const json& v, const char* name, std::vector<int>& out) {
  if (!v.is_array() || !std::all_of(v.begin(), v.end(), fits_int)) return wrong_type(name, "an array of integers");
  out = v.get<std::vector<int>>();
  return {};
}

// stop: a string or an array of strings.
status read_stop(const json& v, const char* name, std::vector<std::string>& out) {
  const json list = v.is_string() ? json::array({v}) : v;
  if (!list.is_array() || !std::all_of(list.begin(), list.end(), [](const json& s) { return s.is_string(); }))
    return wrong_type(name, "a string or an array of strings");
  out = list.get<std::vector<std::string>>();
  return {};
}

// logit_bias: {"<token id>": bias, ...}, as in the OpenAI API.
status read_logit_bias(const json& v, const char* name, std::vector<logit_bias_entry>& out) {
  if (!v.is_object()) return wrong_type(name, "an object {\"token id\": bias}");
  for (const auto& item : v.items()) {
    const std::string& key = item.key();
    int token = 0;
    const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), token);
    if (ec != std::errc{} || end != key.data() + key.size() || !item.value().is_number())
      return wrong_type(name, "an object {\"token id\": bias}");
    out.push_back({token, item.value().get<float>()});
  }
  return {};
}

status read_deadline(const json& v, const char* name, std::chrono::milliseconds& out) {
  int ms = 0;
  if (status s = read_int(v, name, ms); !s.ok()) return s;
  if (ms < 0) return wrong_type(name, "a non-negative integer");
  out = std::chrono::milliseconds(ms);
  return {};
}

// A generate message's fields besides "type" and "id": the one list that the
// parser allows and reads and the encoder writes. `write` sets the field in
// `j` unless it is at its default.
struct generate_field {
  const char* name;
  status (*read)(const json& v, const char* name, generate_message& m);
  void (*write)(const generate_message& m, const char* name, json& j);
};

using gm = generate_message;
const request kDefaults;

const generate_field kGenerateFields[] = {
    {"prompt", [](const json& v, const char* n, gm& m) { return read_string(v, n, m.req.prompt); },
     [](const gm& m, const char* n, json& j) {
       if (m.req.prompt_ids.empty()) j[n] = m.req.prompt;
     }},
    {"prompt_ids", [](const json& v, const char* n, gm& m) { return read_ids(v, n, m.req.prompt_ids); },
     [](const gm& m, const char* n, json& j) {
       if (!m.req.prompt_ids.empty()) j[n] = m.req.prompt_ids;
     }},
    {"max_new_tokens", [](const json& v, const char* n, gm& m) { return read_int(v, n, m.req.max_new_tokens); },
     [](const gm& m, const char* n, json& j) {
       if (m.req.max_new_tokens != kDefaults.max_new_tokens) j[n] = m.req.max_new_tokens;
     }},
    {"temperature", [](const json& v, const char* n, gm& m) { return read_float(v, n, m.req.temperature); },
     [](const gm& m, const char* n, json& j) {
       if (m.req.temperature != kDefaults.temperature) j[n] = m.req.temperature;
     }},
    {"top_p", [](const json& v, const char* n, gm& m) { return read_float(v, n, m.req.top_p); },
     [](const gm& m, const char* n, json& j) {
       if (m.req.top_p != kDefaults.top_p) j[n] = m.req.top_p;
     }},
    {"seed", [](const json& v, const char* n, gm& m) { return read_seed(v, n, m.req.seed); },
     [](const gm& m, const char* n, json& j) {
       if (m.req.seed) j[n] = *m.req.seed;
     }},
    {"target_length", [](const json& v, const char* n, gm& m) { return read_int(v, n, m.target_length); },
     [](const gm& m, const char* n, json& j) {
       if (m.target_length != 0) j[n] = m.target_length;
     }},
    {"stream", [](const json& v, const char* n, gm& m) { return read_bool(v, n, m.stream); },
     [](const gm& m, const char* n, json& j) {
       if (m.stream) j[n] = true;
     }},
    {"deadline_ms", [](const json& v, const char* n, gm& m) { return read_deadline(v, n, m.req.deadline); },
     [](const gm& m, const char* n, json& j) {
       if (m.req.deadline.count() > 0) j[n] = m.req.deadline.count();
     }},
    {"stop", [](const json& v, const char* n, gm& m) { return read_stop(v, n, m.req.stop); },
     [](const gm& m, const char* n, json& j) {
       if (!m.req.stop.empty()) j[n] = m.req.stop;
     }},
    {"ignore_eos", [](const json& v, const char* n, gm& m) { return read_bool(v, n, m.req.ignore_eos); },
     [](const gm& m, const char* n, json& j) {
       if (m.req.ignore_eos) j[n] = true;
     }},
    {"min_tokens", [](const json& v, const char* n, gm& m) { return read_int(v, n, m.req.min_tokens); },
     [](const gm& m, const char* n, json& j) {
       if (m.req.min_tokens != kDefaults.min_tokens) j[n] = m.req.min_tokens;
     }},
    {"presence_penalty", [](const json& v, const char* n, gm& m) { return read_float(v, n, m.req.presence_penalty); },
     [](const gm& m, const char* n, json& j) {
       if (m.req.presence_penalty != kDefaults.presence_penalty) j[n] = m.req.presence_penalty;
     }},
    {"frequency_penalty", [](const json& v, const char* n, gm& m) { return read_float(v, n, m.req.frequency_penalty); },
     [](const gm& m, const char* n, json& j) {
       if (m.req.frequency_penalty != kDefaults.frequency_penalty) j[n] = m.req.frequency_penalty;
     }},
    {"logit_bias", [](const json& v, const char* n, gm& m) { return read_logit_bias(v, n, m.req.logit_bias); },
     [](const gm& m, const char* n, json& j) {
       for (const logit_bias_entry& e : m.req.logit_bias) j[n][std::to_string(e.token)] = e.bias;
     }},
    {"logprobs", [](const json& v, const char* n, gm& m) { return read_int(v, n, m.req.logprobs); },
     [](const gm& m, const char* n, json& j) {
       if (m.req.logprobs != kDefaults.logprobs) j[n] = m.req.logprobs;
     }},
    {"priority", [](const json& v, const char* n, gm& m) { return read_int(v, n, m.req.priority); },
     [](const gm& m, const char* n, json& j) {
       if (m.req.priority != kDefaults.priority) j[n] = m.req.priority;
     }},
    {"length_hint", [](const json& v, const char* n, gm& m) { return read_int(v, n, m.req.length_hint); },
     [](const gm& m, const char* n, json& j) {
       if (m.req.length_hint != kDefaults.length_hint) j[n] = m.req.length_hint;
     }},
};

status_or<client_id> read_id(const json& o) {
  if (!o.contains("id")) return malformed("missing field \"id\"");
  const json& v = o["id"];
  if (v.is_string()) return client_id{v.get<std::string>()};
  if (v.is_number_integer() &&
      (!v.is_number_unsigned() || v.get<std::uint64_t>() <= std::numeric_limits<std::int64_t>::max()))
    return client_id{v.get<std::int64_t>()};
  return wrong_type("id", "a string or an integer");
}

status_or<client_message> parse_generate(const json& o) {
  for (const auto& item : o.items()) {
    const std::string& key = item.key();  // not a structured binding: clang 14 cannot capture one
    const bool known = key == "type" || key == "id" ||
                       std::any_of(std::begin(kGenerateFields), std::end(kGenerateFields),
                                   [&](const generate_field& f) { return key == f.name; });
    if (!known) return malformed("unknown field \"" + key + "\" in a \"generate\" message");
  }
  auto id = read_id(o);
  if (!id.ok()) return id.error();
  if (o.contains("prompt") == o.contains("prompt_ids"))
    return malformed("a \"generate\" message needs exactly one of \"prompt\" and \"prompt_ids\"");
  generate_message m;
  m.id = *id;
  for (const generate_field& f : kGenerateFields)
    if (auto it = o.find(f.name); it != o.end())
      if (status s = f.read(*it, f.name, m); !s.ok()) return s;
  return client_message{std::move(m)};
}

status_or<client_message> parse_object(const json& o) {
  if (!o.contains("type") || !o["type"].is_string()) return wrong_type("type", "a string");
  const auto type = o["type"].get<std::string>();
  if (type == "generate") return parse_generate(o);
  if (type == "cancel") {
    if (status s = check_fields(o, type, {"type", "id"}); !s.ok()) return s;
    auto id = read_id(o);
    if (!id.ok()) return id.error();
    return client_message{cancel_message{*id}};
  }
  if (type == "auth") {
    if (status s = check_fields(o, type, {"type", "token"}); !s.ok()) return s;
    if (!o.contains("token") || !o["token"].is_string()) return wrong_type("token", "a string");
    return client_message{auth_message{o["token"].get<std::string>()}};
  }
  if (type != "stats" && type != "ping") return malformed("unknown message type \"" + type + "\"");
  if (status s = check_fields(o, type, {"type"}); !s.ok()) return s;
  if (type == "stats") return client_message{stats_message{}};
  return client_message{ping_message{}};
}

json id_json(const client_id& id) {
  if (const auto* n = std::get_if<std::int64_t>(&id)) return *n;
  if (const auto* s = std::get_if<std::string>(&id)) return *s;
  return nullptr;
}

client_id id_from_json(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_integer()) return j.get<std::int64_t>();
  return std::monostate{};
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Checked readers of server events: a number of the wrong kind or out of
// range throws (parse_server_line turns it into protocol_malformed) instead
// of being converted with undefined behaviour (a float beyond int's range).
[[noreturn]] void bad_number(const char* key, const char* expected) {
  throw std::invalid_argument(std::string("field \"") + key + "\" must be " + expected);
}

int int_at(const json& j, const char* key) {
  const json& v = j.at(key);
  if (!fits_int(v)) bad_number(key, "an integer (32-bit)");
  return v.get<int>();
}

std::int64_t int64_at(const json& j, const char* key) {
  const json& v = j.at(key);
  const bool fits = v.is_number_unsigned()
                        ? v.get<std::uint64_t>() <= std::uint64_t(std::numeric_limits<std::int64_t>::max())
                        : v.is_number_integer();
  if (!fits) bad_number(key, "an integer (64-bit)");
  return v.get<std::int64_t>();
}

double number_at(const json& j, const char* key) {
  const json& v = j.at(key);
  if (!v.is_number()) bad_number(key, "a number");
  return v.get<double>();
}

std::vector<int> ints_at(const json& j, const char* key) {
  const json& a = j.at(key);
  if (!a.is_array()) bad_number(key, "an array of integers");
  std::vector<int> out;
  for (const json& v : a) {
    if (!fits_int(v)) bad_number(key, "an array of integers (32-bit)");
    out.push_back(v.get<int>());
  }
  return out;
}

json logprob_json(const token_logprob& t) { return {{"token", t.token}, {"logprob", t.logprob}}; }

json logprobs_json(const token_logprobs& lp) {
  json top = json::array();
  for (const token_logprob& t : lp.top) top.push_back(logprob_json(t));
  json j = logprob_json(lp.chosen);
  j["top"] = std::move(top);
  return j;
}

token_logprob logprob_from(const json& j) { return {int_at(j, "token"), static_cast<float>(number_at(j, "logprob"))}; }

token_logprobs logprobs_from(const json& j) {
  token_logprobs lp{logprob_from(j), {}};
  for (const json& t : j.at("top")) lp.top.push_back(logprob_from(t));
  return lp;
}

// ---- stats, field by field as actors/stats_schema.hpp describes them ----

template <class T>
json value_json(const T& v);

template <described T>
json stats_json(const T& x) {
  json j = json::object();
  for_each_field<T>([&](const auto& f) { j[f.key] = value_json(x.*f.member); });
  return j;
}

template <class T>
json value_json(const T& v) {
  if constexpr (described<T>) {
    return stats_json(v);
  } else if constexpr (requires { typename T::value_type; } && !std::is_same_v<T, std::string>) {
    json a = json::array();
    for (const auto& item : v) a.push_back(value_json(item));
    return a;
  } else {
    return json(v);
  }
}

template <described T>
T stats_from_json(const json& j);

// j[key] into `out`, checked as the readers above check numbers.
template <class T>
void read_value(const json& j, const char* key, T& out) {
  if constexpr (std::is_same_v<T, int>) {
    out = int_at(j, key);
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    out = int64_at(j, key);
  } else if constexpr (std::is_same_v<T, double>) {
    out = number_at(j, key);
  } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string>) {
    out = j.at(key).get<T>();
  } else if constexpr (described<T>) {
    out = stats_from_json<T>(j.at(key));
  } else {
    const json& a = j.at(key);
    if (!a.is_array()) bad_number(key, "an array");
    out.clear();
    for (const json& item : a) out.push_back(stats_from_json<typename T::value_type>(item));
  }
}

// A field newer than the protocol's first version may be absent (an older
// server): it keeps its default.
template <described T>
T stats_from_json(const json& j) {
  T x;
  for_each_field<T>([&](const auto& f) {
    if (f.since_first || j.contains(f.key)) read_value(j, f.key, x.*f.member);
  });
  return x;
}

done_event done_from(const json& j) {
  done_event d;
  d.id = id_from_json(j.at("id"));
  d.res.text = j.at("text").get<std::string>();
  d.res.generated_ids = ints_at(j, "ids");
  d.res.stop_reason = j.at("stop_reason").get<std::string>();
  const json& t = j.at("timings");
  d.res.timings = {number_at(t, "queue_ms"), number_at(t, "first_token_ms"), number_at(t, "total_ms")};
  d.prompt_tokens = int_at(j, "prompt_tokens");
  d.res.predicted_length = int_at(j, "predicted_length");
  d.res.bin = int_at(j, "bin");
  d.res.retries = int_at(j, "retries");
  if (j.contains("seed")) d.res.seed = j.at("seed").get<std::uint64_t>();
  if (j.contains("logprobs"))
    for (const json& lp : j.at("logprobs")) d.res.logprobs.push_back(logprobs_from(lp));
  return d;
}

error_code code_from_name(const std::string& name) {
  for (int c = 0; c <= static_cast<int>(error_code::internal); ++c)
    if (name == to_string(static_cast<error_code>(c))) return static_cast<error_code>(c);
  return error_code::internal;
}

server_event event_from(const json& j) {
  const auto type = j.at("type").get<std::string>();
  if (type == "token")
    return token_event{id_from_json(j.at("id")), int_at(j, "index"), int_at(j, "token"),
                       j.at("text").get<std::string>(),
                       j.contains("logprobs") ? std::optional(logprobs_from(j.at("logprobs"))) : std::nullopt};
  if (type == "done") return done_from(j);
  if (type == "error")
    return error_event{id_from_json(j.at("id")),
                       status(code_from_name(j.at("code").get<std::string>()), j.at("message").get<std::string>())};
  if (type == "stats") return stats_event{stats_from_json<stats>(j)};
  if (type == "pong") return pong_event{};
  throw std::invalid_argument("unknown event type \"" + type + "\"");
}

}  // namespace

status_or<client_message> parse_client_line(std::string_view line, std::size_t max_bytes) {
  if (line.size() > max_bytes)
    return status(error_code::input_too_large, "line of " + std::to_string(line.size()) +
                                                   " bytes exceeds the limit of " + std::to_string(max_bytes));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const json o = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (o.is_discarded()) return malformed("line is not valid JSON");
  if (!o.is_object()) return malformed("line is not a JSON object");
  return parse_object(o);
}

std::string encode_token(const client_id& id, const generated_token& t) {
  json j = {{"type", "token"}, {"id", id_json(id)}, {"index", t.index}, {"token", t.id}, {"text", t.text}};
  if (t.logprobs) j["logprobs"] = logprobs_json(*t.logprobs);
  return dump(j);
}

std::string encode_done(const client_id& id, const result& r) {
  const json timings = {
      {"queue_ms", r.timings.queue_ms}, {"first_token_ms", r.timings.first_token_ms}, {"total_ms", r.timings.total_ms}};
  json j = {{"type", "done"},
            {"id", id_json(id)},
            {"text", r.text},
            {"ids", r.generated_ids},
            {"stop_reason", r.stop_reason},
            {"timings", timings},
            {"prompt_tokens", r.prompt_ids.size()},
            {"predicted_length", r.predicted_length},
            {"bin", r.bin},
            {"retries", r.retries},
            {"seed", r.seed}};
  if (!r.logprobs.empty()) {
    j["logprobs"] = json::array();
    for (const token_logprobs& lp : r.logprobs) j["logprobs"].push_back(logprobs_json(lp));
  }
  return dump(j);
}

std::string encode_error(const client_id& id, const status& s) {
  return dump({{"type", "error"}, {"id", id_json(id)}, {"code", to_string(s.code())}, {"message", s.message()}});
}

std::string encode_stats(const stats& s) {
  json j = stats_json(s);
  j["type"] = "stats";
  return dump(j);
}

std::string encode_pong() { return R"({"type":"pong"})"; }

std::string encode_generate(const generate_message& m) {
  json j = {{"type", "generate"}, {"id", id_json(m.id)}};
  for (const generate_field& f : kGenerateFields) f.write(m, f.name, j);
  return dump(j);
}

std::string encode_cancel(const client_id& id) { return dump({{"type", "cancel"}, {"id", id_json(id)}}); }

std::string encode_auth(const std::string& token) { return dump({{"type", "auth"}, {"token", token}}); }

status_or<server_event> parse_server_line(std::string_view line) {
  const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return malformed("server line is not a JSON object");
  try {
    return event_from(j);
  } catch (const std::exception& e) {
    return malformed(std::string("server line: ") + e.what());
  }
}

std::string id_to_string(const client_id& id) { return id_json(id).dump(); }

}  // namespace binserve::net
