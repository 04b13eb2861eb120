#include "net/openai.hpp"

#include <charconv>
#include <climits>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>

namespace binserve::openai {
namespace {

using json = nlohmann::json;

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

parsed_call fail(std::string param, std::string message) {
  parsed_call out;
  out.error.message = std::move(message);
  out.error.param = std::move(param);
  out.error.code = to_string(error_code::invalid_argument);
  return out;
}

// Reads an optional number field into `out`, within [lo, hi] (lo excluded
// when `open_lo`). Returns the error message, empty when fine.
std::string read_number(const json& body, const char* key, double lo, double hi, bool open_lo,
                        float& out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return {};
  if (!it->is_number()) return std::string(key) + " must be a number";
  const double v = it->get<double>();
  if (!(open_lo ? v > lo : v >= lo) || v > hi) {
    return std::string(key) + " must be in " + (open_lo ? "(" : "[") + std::to_string(lo) + ", " +
           std::to_string(hi) + "]";
  }
  out = static_cast<float>(v);
  return {};
}

// Fills the sampling fields shared by both endpoints; `call.req.prompt` is
// already set.
parsed_call read_common(const json& body, api_call call, const char* max_tokens_key) {
  call.req.temperature = 1.0f;
  call.req.max_new_tokens = 16;
  auto mt = body.find(max_tokens_key);
  if (mt == body.end()) mt = body.find("max_tokens");
  if (mt != body.end() && !mt->is_null()) {
    if (!mt->is_number_integer() || mt->get<std::int64_t>() < 1 || mt->get<std::int64_t>() > INT_MAX)
      return fail(mt.key(), mt.key() + " must be a positive integer");
    call.req.max_new_tokens = mt->get<int>();
  }
  if (auto e = read_number(body, "temperature", 0, 2, false, call.req.temperature); !e.empty())
    return fail("temperature", e);
  if (auto e = read_number(body, "top_p", 0, 1, true, call.req.top_p); !e.empty()) return fail("top_p", e);
  if (auto it = body.find("seed"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer()) return fail("seed", "seed must be an integer");
    call.req.seed = it->is_number_unsigned() ? it->get<std::uint64_t>()
                                             : static_cast<std::uint64_t>(it->get<std::int64_t>());
  }
  if (auto it = body.find("stream"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return fail("stream", "stream must be a boolean");
    call.stream = it->get<bool>();
  }
  if (auto it = body.find("user"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return fail("user", "user must be a string");
    call.req.client = "user:" + it->get<std::string>();
  }
  if (auto it = body.find("stop"); it != body.end() && !it->is_null())
    return fail("stop", "stop sequences are not supported: the model stops at its stop tokens");
  if (auto it = body.find("n"); it != body.end() && !it->is_null() && *it != 1)
    return fail("n", "only n = 1 is supported");
  return {std::move(call), {}};
}

// Parses `text` as a JSON object; nullopt (and `error` set) otherwise.
std::optional<json> parse_object(std::string_view text, parsed_call& error) {
  json body = json::parse(text, nullptr, false);
  if (body.is_discarded()) {
    error = fail("", "the request body is not valid JSON");
    return std::nullopt;
  }
  if (!body.is_object()) {
    error = fail("", "the request body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

}  // namespace

parsed_call parse_completion(std::string_view text) {
  parsed_call error;
  auto body = parse_object(text, error);
  if (!body) return error;
  auto prompt = body->find("prompt");
  if (prompt == body->end() || !prompt->is_string())
    return fail("prompt", "prompt is required and must be a string");
  api_call call;
  call.req.prompt = prompt->get<std::string>();
  return read_common(*body, std::move(call), "max_tokens");
}

parsed_call parse_chat_completion(std::string_view text) {
  parsed_call error;
  auto body = parse_object(text, error);
  if (!body) return error;
  auto messages = body->find("messages");
  if (messages == body->end() || !messages->is_array() || messages->empty())
    return fail("messages", "messages is required and must be a non-empty array");
  api_call call;
  call.kind = api_kind::chat;
  for (const auto& m : *messages) {
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content") ||
        !m["content"].is_string())
      return fail("messages", "each message must be {\"role\": string, \"content\": string}");
    if (!call.req.prompt.empty()) call.req.prompt += "\n";
    call.req.prompt += m["content"].get<std::string>();
  }
  return read_common(*body, std::move(call), "max_completion_tokens");
}

int http_status_for(error_code code) {
  switch (code) {
    case error_code::invalid_argument:
    case error_code::protocol_malformed:
    case error_code::input_too_large: return 400;
    case error_code::overloaded: return 429;
    case error_code::timed_out: return 504;
    case error_code::shutting_down: return 503;
    default: return 500;
  }
}

api_error to_api_error(const status& s) {
  api_error e;
  e.http_status = http_status_for(s.code());
  e.message = s.message();
  e.code = to_string(s.code());
  if (e.http_status == 429) e.type = "rate_limit_error";
  if (e.http_status >= 500) e.type = "server_error";
  return e;
}

std::string error_json(const api_error& e) {
  const json param = e.param.empty() ? json(nullptr) : json(e.param);
  return dump({{"error", {{"message", e.message}, {"type", e.type}, {"param", param}, {"code", e.code}}}});
}

std::string finish_reason(const result& r) { return r.stop_reason == "stop_token" ? "stop" : "length"; }

namespace {

json envelope(const response_meta& m, const char* object) {
  const char* prefix = m.kind == api_kind::chat ? "chatcmpl-" : "cmpl-";
  return {{"id", prefix + std::to_string(m.id)}, {"object", object}, {"created", m.created},
          {"model", m.model}};
}

json choice(const response_meta& m, std::string_view text, const json& reason, bool delta) {
  if (m.kind == api_kind::completion)
    return {{"text", text}, {"index", 0}, {"finish_reason", reason}, {"logprobs", nullptr}};
  json content = text.empty() && delta ? json::object() : json{{"content", text}};
  if (!delta) content["role"] = "assistant";
  return {{"index", 0}, {delta ? "delta" : "message", content}, {"finish_reason", reason}};
}

std::string sse(const json& j) { return "data: " + dump(j) + "\n\n"; }

}  // namespace

std::string response_json(const response_meta& m, const result& r) {
  json j = envelope(m, m.kind == api_kind::chat ? "chat.completion" : "text_completion");
  j["choices"] = json::array({choice(m, r.text, finish_reason(r), false)});
  const auto prompt = static_cast<std::int64_t>(r.prompt_ids.size());
  const auto completion = static_cast<std::int64_t>(r.generated_ids.size());
  j["usage"] = {{"prompt_tokens", prompt}, {"completion_tokens", completion},
                {"total_tokens", prompt + completion}};
  return dump(j);
}

std::string stream_chunk(const response_meta& m, std::string_view piece) {
  json j = envelope(m, m.kind == api_kind::chat ? "chat.completion.chunk" : "text_completion");
  j["choices"] = json::array({choice(m, piece, nullptr, true)});
  return sse(j);
}

std::string stream_final_chunk(const response_meta& m, std::string_view reason) {
  json j = envelope(m, m.kind == api_kind::chat ? "chat.completion.chunk" : "text_completion");
  j["choices"] = json::array({choice(m, "", reason, true)});
  return sse(j);
}

std::string stream_error(const api_error& e) { return "data: " + error_json(e) + "\n\n"; }

std::string models_json(const std::string& model) {
  return dump({{"object", "list"},
               {"data", json::array({{{"id", model}, {"object", "model"}, {"owned_by", "binserve"}}})}});
}

std::string health_json() { return R"({"status":"ok"})"; }

namespace {

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, end) : "NaN";
}

// Prometheus text: HELP and TYPE once per metric, then its samples.
class exposition {
 public:
  void family(const std::string& name, const char* type, const char* help) {
    out_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void sample(const std::string& name, const std::string& labels, double v) {
    out_ += name + (labels.empty() ? "" : "{" + labels + "}") + " " + number(v) + "\n";
  }
  void single(const std::string& name, const char* type, const char* help, double v) {
    family(name, type, help);
    sample(name, "", v);
  }
  void summary(const std::string& name, const char* help, const latency_summary& l) {
    family(name, "summary", help);
    sample(name, R"(quantile="0.5")", l.p50);
    sample(name, R"(quantile="0.9")", l.p90);
    sample(name, R"(quantile="0.99")", l.p99);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

void counters(exposition& e, const stats& s) {
  const std::pair<const char*, std::int64_t> rows[] = {
      {"requests_submitted", s.submitted}, {"requests_completed", s.completed},
      {"requests_failed", s.failed},       {"requests_rejected", s.rejected},
      {"requests_cancelled", s.cancelled}, {"requests_timed_out", s.timed_out},
      {"retries", s.retries},              {"generated_tokens", s.generated_tokens},
      {"computed_slots", s.computed_slots}, {"requeued", s.requeued},
      {"executor_failures", s.executor_failures}};
  for (const auto& [name, v] : rows) {
    const std::string n = std::string("binserve_") + name;
    e.single(n + "_total", "counter", (n.substr(9) + " since the service started").c_str(),
             static_cast<double>(v));
  }
}

void bins(exposition& e, const std::vector<bin_summary>& bs) {
  auto labels = [](const bin_summary& b) {
    const std::string hi = b.hi == INT_MAX ? "+Inf" : std::to_string(b.hi);
    return "bin=\"" + std::to_string(b.bin) + "\",lo=\"" + std::to_string(b.lo) + "\",hi=\"" + hi + "\"";
  };
  e.family("binserve_bin_queue_depth", "gauge", "Requests waiting in the bin");
  for (const auto& b : bs) e.sample("binserve_bin_queue_depth", labels(b), b.queue_depth);
  e.family("binserve_bin_batches_total", "counter", "Batches the bin emitted");
  for (const auto& b : bs) e.sample("binserve_bin_batches_total", labels(b), static_cast<double>(b.batches));
  e.family("binserve_bin_mean_batch_size", "gauge", "Mean size of the bin's batches");
  for (const auto& b : bs) e.sample("binserve_bin_mean_batch_size", labels(b), b.mean_batch_size);
}

// Per node of the cluster: node 0 is this process, k the k-th worker.
void nodes(exposition& e, const std::vector<node_summary>& ns) {
  auto labels = [](const node_summary& n) {
    return "node=\"" + std::to_string(n.node) + "\",name=\"" + n.name + "\"";
  };
  const std::pair<const char*, std::function<double(const node_summary&)>> rows[] = {
      {"connected", [](const node_summary& n) { return n.connected ? 1.0 : 0.0; }},
      {"executors", [](const node_summary& n) { return double(n.executors); }},
      {"batches_total", [](const node_summary& n) { return double(n.batches); }},
      {"computed_slots_total", [](const node_summary& n) { return double(n.computed_slots); }},
      {"executor_failures_total", [](const node_summary& n) { return double(n.executor_failures); }}};
  for (const auto& [suffix, get] : rows) {
    const std::string name = std::string("binserve_node_") + suffix;
    e.family(name, name.ends_with("_total") ? "counter" : "gauge", "Per node of the cluster");
    for (const auto& n : ns) e.sample(name, labels(n), get(n));
  }
}

}  // namespace

std::string metrics_text(const stats& s) {
  exposition e;
  counters(e, s);
  e.single("binserve_effective_token_ratio", "gauge", "Generated tokens per computed slot",
           s.effective_token_ratio);
  e.single("binserve_requests_per_second", "gauge", "Completed requests per second", s.requests_per_s);
  e.single("binserve_tokens_per_second", "gauge", "Generated tokens per second", s.tokens_per_s);
  e.summary("binserve_request_latency_ms", "Submission to final result, ms", s.latency);
  e.summary("binserve_first_token_latency_ms", "Submission to first token, ms", s.first_token);
  e.summary("binserve_queue_latency_ms", "Submission to batch start, ms", s.queue);
  bins(e, s.bins);
  nodes(e, s.nodes);
  return e.take();
}

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
