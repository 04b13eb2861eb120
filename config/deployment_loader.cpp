#include "config/deployment_loader.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "chat/chat_template.hpp"
#include "config/config_rules.hpp"
#include "config/yaml_reader.hpp"
#include "sched/policy.hpp"

namespace binserve {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view kDummyPrefix = "dummy:";

// Reads the file name at `key` into `out`, absolute against `base`, and
// fails when it names no existing file. An empty name stays empty.
void read_file_key(yaml_section& s, const char* key, std::string& out, const fs::path& base) {
  s.read(key, out);
  if (out.empty()) return;
  const fs::path p(out);
  out = (p.is_relative() ? base / p : p).lexically_normal().string();
  std::error_code ec;
  s.require(fs::exists(out, ec), key, out + " does not exist");
}

void read_model(yaml_section& top, const fs::path& base, service_config& c) {
  top.require(top.has("model"), "model", "required section is missing (set model.path or model.dummy)");
  yaml_section m = top.section("model");
  m.expect_keys({"path", "dummy", "format", "tokenizer", "stop_tokens", "dtype"});
  std::string dummy;
  m.read("path", c.model);
  m.read("dummy", dummy);
  if (!c.model.empty() && !dummy.empty()) {
    top.require(false, "model", "set exactly one of model.path and model.dummy, not both");
  } else if (dummy.empty()) {
    top.require(!c.model.empty(), "model", "set one of model.path and model.dummy");
    read_file_key(m, "path", c.model, base);
  } else {
    c.model = std::string(kDummyPrefix) + dummy;
  }
  m.read_choice("format", c.model_format, {"auto", "llama2c", "gguf"});
  read_file_key(m, "tokenizer", c.tokenizer, base);
  m.read("stop_tokens", c.stop_tokens);
  m.read_choice("dtype", c.dtype);
}

void read_backend(yaml_section& top, service_config& c) {
  yaml_section b = top.section("backend");
  b.expect_keys({"kind", "device", "threads", "kv_cache_bytes", "device_memory_share"});
  b.read_choice("kind", c.backend);
  b.read("device", c.device);
  b.read("threads", c.threads);
  b.read("kv_cache_bytes", c.kv_cache_bytes);
  b.read("device_memory_share", c.device_memory_share);
  top.read("executors", c.executors);
}

void read_policy(yaml_section& top, policy_config& p) {
  yaml_section s = top.section("policy");
  s.expect_keys({"kind", "batch_size", "bins", "length_sample", "bin_width", "variable_batch", "cap_batches",
                 "max_batch_size", "kv_token_budget", "max_wait_ms", "retry", "rebin", "sjf_aging_per_s",
                 "max_wait_steps", "max_preemptions", "kv_admission"});
  s.read_choice("kind", p.kind);
  s.read("batch_size", p.batch_size);
  s.read("bins", p.bins);
  s.read("length_sample", p.length_sample);
  s.read("bin_width", p.bin_width);
  s.read("variable_batch", p.variable_batch);
  s.read("cap_batches", p.cap_batches);
  s.read("max_batch_size", p.max_batch_size);
  s.read("kv_token_budget", p.kv_token_budget);
  std::int64_t wait_ms = p.max_wait.count();
  s.read("max_wait_ms", wait_ms);
  p.max_wait = std::chrono::milliseconds(wait_ms);
  s.read_choice("retry", p.retry);
  s.read("rebin", p.rebin);
  s.read("sjf_aging_per_s", p.sjf_aging_per_s);
  s.read("max_wait_steps", p.max_wait_steps);
  s.read("max_preemptions", p.max_preemptions);
  s.read_choice("kv_admission", p.kv_reserve);
}

void read_predictor(yaml_section& top, const fs::path& base, predictor_config& p) {
  yaml_section s = top.section("predictor");
  s.expect_keys({"kind", "fixed_length", "ratio", "model_file", "quantile", "online", "fallback", "history_capacity",
                 "hint_weight", "probe_file", "refresh_tokens"});
  s.read("kind", p.kind);
  s.read("fixed_length", p.fixed_length);
  s.read("ratio", p.ratio);
  read_file_key(s, "model_file", p.model_file, base);
  s.read("quantile", p.quantile);
  s.read("online", p.online);
  s.read("fallback", p.fallback);
  s.read("history_capacity", p.history_capacity);
  s.read("hint_weight", p.hint_weight);
  read_file_key(s, "probe_file", p.probe_file, base);
  s.read("refresh_tokens", p.refresh_tokens);
}

void read_limits(yaml_section& top, limits_config& l) {
  yaml_section s = top.section("limits");
  s.expect_keys({"queue_capacity", "max_prompt_tokens", "max_new_tokens", "max_executor_failures",
                 "batch_timeout_slack", "batch_timeout_floor_ms"});
  s.read("queue_capacity", l.queue_capacity);
  s.read("max_prompt_tokens", l.max_prompt_tokens);
  s.read("max_new_tokens", l.max_new_tokens);
  s.read("max_executor_failures", l.max_executor_failures);
  s.read("batch_timeout_slack", l.batch_timeout_slack);
  s.read("batch_timeout_floor_ms", l.batch_timeout_floor_ms);
}

// workers: [{host, port}], the worker nodes a coordinator uses; faults: test switches.
void read_workers_and_faults(yaml_section& top, service_setup& c) {
  for (yaml_section w : top.list("workers")) {
    w.expect_keys({"host", "port"});
    worker_endpoint e;
    w.read("host", e.host);
    w.require(w.has("port"), "port", "required: the port the worker publishes on");
    w.read("port", e.port);
    c.workers.push_back(std::move(e));
  }
  yaml_section f = top.section("faults");
  f.expect_keys({"kill_executor_every_n_steps", "stall_executor_after_n_steps", "stall_ms", "step_delay_ms"});
  f.read("kill_executor_every_n_steps", c.faults.kill_executor_every_n_steps);
  f.read("stall_executor_after_n_steps", c.faults.stall_executor_after_n_steps);
  f.read("stall_ms", c.faults.stall_ms);
  f.read("step_delay_ms", c.faults.step_delay_ms);
}

// server.chat_template: the template's text when it holds "{{" or "{%" (as
// vLLM's --chat-template), else a file (relative to the deployment file)
// holding it. Either way it must parse.
void read_chat_template(yaml_section& s, const fs::path& base, std::string& out) {
  s.read("chat_template", out);
  if (out.empty()) return;
  if (out.find("{{") == std::string::npos && out.find("{%") == std::string::npos) {
    const fs::path p = out;
    const std::string file = (p.is_relative() ? base / p : p).lexically_normal().string();
    std::ifstream in(file, std::ios::binary);
    s.require(static_cast<bool>(in), "chat_template",
              file + " cannot be read (a template's text must contain '{{' or '{%'; else it names a file)");
    if (!in) return;
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const auto t = chat_template::compile(out, error_code::config_invalid, "the chat template");
  s.require(t.ok(), "chat_template", t.ok() ? "" : t.error().message());
}

void read_server(yaml_section& top, const fs::path& base, server_config& c) {
  yaml_section s = top.section("server");
  s.expect_keys({"host", "tcp_port", "http_port", "max_line_bytes", "max_connections", "max_connections_per_address",
                 "first_request_timeout_ms", "idle_timeout_s", "per_connection_in_flight", "auth_token",
                 "drain_timeout_s", "chat_template"});
  read_chat_template(s, base, c.chat_template);
  s.read("host", c.host);
  s.read("tcp_port", c.tcp_port);
  s.read("http_port", c.http_port);
  s.read("max_line_bytes", c.max_line_bytes);
  s.read("max_connections", c.max_connections);
  s.read("max_connections_per_address", c.max_connections_per_address);
  s.read("first_request_timeout_ms", c.first_request_timeout_ms);
  s.read("idle_timeout_s", c.idle_timeout_s);
  s.read("per_connection_in_flight", c.per_connection_in_flight);
  s.read("auth_token", c.auth_token);
  s.read("drain_timeout_s", c.drain_timeout_s);
}

void read_deployment(yaml_document& doc, const YAML::Node& root, const fs::path& base, deployment_config& out) {
  yaml_section top(doc, root, "", YAML::Mark::null_mark());
  top.expect_keys(
      {"model", "backend", "executors", "policy", "predictor", "limits", "server", "logging", "workers", "faults"});
  read_model(top, base, out.service);
  read_backend(top, out.service);
  read_policy(top, out.service.policy);
  read_predictor(top, base, out.service.predictor);
  read_limits(top, out.service.limits);
  read_workers_and_faults(top, out.service);
  read_server(top, base, out.server);
  yaml_section logging = top.section("logging");
  logging.expect_keys({"level", "step_trace"});
  logging.read_choice("level", out.logging.level, {"trace", "debug", "info", "warn", "error", "off"});
  logging.read("step_trace", out.service.step_trace);  // created by the service; relative to the file
  if (const fs::path t(out.service.step_trace); !t.empty() && t.is_relative())
    out.service.step_trace = (base / t).lexically_normal().string();
}

fs::path folder_of(const std::string& file) {
  std::error_code ec;
  const fs::path folder = fs::absolute(fs::path(file), ec).parent_path();
  return ec ? fs::path(".") : folder;
}

void write_service(YAML::Emitter& e, const service_config& c) {
  e << YAML::Key << "model" << YAML::Value << YAML::BeginMap;
  if (c.model.starts_with(kDummyPrefix))
    e << YAML::Key << "dummy" << YAML::Value << c.model.substr(kDummyPrefix.size());
  else
    e << YAML::Key << "path" << YAML::Value << c.model;
  e << YAML::Key << "format" << YAML::Value << c.model_format;
  e << YAML::Key << "tokenizer" << YAML::Value << c.tokenizer;
  e << YAML::Key << "stop_tokens" << YAML::Value << YAML::Flow << c.stop_tokens;
  e << YAML::Key << "dtype" << YAML::Value << name_of(c.dtype) << YAML::EndMap;
  e << YAML::Key << "backend" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "kind" << YAML::Value << name_of(c.backend);
  e << YAML::Key << "device" << YAML::Value << c.device;
  e << YAML::Key << "threads" << YAML::Value << c.threads;
  e << YAML::Key << "kv_cache_bytes" << YAML::Value << c.kv_cache_bytes;
  e << YAML::Key << "device_memory_share" << YAML::Value << number_text(c.device_memory_share) << YAML::EndMap;
  e << YAML::Key << "executors" << YAML::Value << c.executors;
}

void write_policy(YAML::Emitter& e, const policy_config& p) {
  e << YAML::Key << "policy" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "kind" << YAML::Value << name_of(p.kind);
  e << YAML::Key << "batch_size" << YAML::Value << p.batch_size;
  e << YAML::Key << "bins" << YAML::Value << p.bins;
  e << YAML::Key << "length_sample" << YAML::Value << YAML::Flow << p.length_sample;
  e << YAML::Key << "bin_width" << YAML::Value << p.bin_width;
  e << YAML::Key << "variable_batch" << YAML::Value << p.variable_batch;
  e << YAML::Key << "cap_batches" << YAML::Value << p.cap_batches;
  e << YAML::Key << "max_batch_size" << YAML::Value << p.max_batch_size;
  e << YAML::Key << "kv_token_budget" << YAML::Value << p.kv_token_budget;
  e << YAML::Key << "max_wait_ms" << YAML::Value << p.max_wait.count();
  e << YAML::Key << "retry" << YAML::Value << name_of(p.retry);
  e << YAML::Key << "rebin" << YAML::Value << p.rebin;
  e << YAML::Key << "sjf_aging_per_s" << YAML::Value << number_text(p.sjf_aging_per_s);
  e << YAML::Key << "max_wait_steps" << YAML::Value << p.max_wait_steps;
  e << YAML::Key << "max_preemptions" << YAML::Value << p.max_preemptions;
  e << YAML::Key << "kv_admission" << YAML::Value << name_of(p.kv_reserve);
  e << YAML::EndMap;
}

void write_predictor_and_limits(YAML::Emitter& e, const service_config& c) {
  const predictor_config& p = c.predictor;
  e << YAML::Key << "predictor" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "kind" << YAML::Value << p.kind;
  e << YAML::Key << "fixed_length" << YAML::Value << p.fixed_length;
  e << YAML::Key << "ratio" << YAML::Value << number_text(p.ratio);
  e << YAML::Key << "model_file" << YAML::Value << p.model_file;
  e << YAML::Key << "quantile" << YAML::Value << number_text(p.quantile);
  e << YAML::Key << "online" << YAML::Value << p.online;
  e << YAML::Key << "fallback" << YAML::Value << p.fallback;
  e << YAML::Key << "history_capacity" << YAML::Value << p.history_capacity;
  e << YAML::Key << "hint_weight" << YAML::Value << number_text(p.hint_weight);
  e << YAML::Key << "probe_file" << YAML::Value << p.probe_file;
  e << YAML::Key << "refresh_tokens" << YAML::Value << p.refresh_tokens << YAML::EndMap;
  e << YAML::Key << "limits" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "queue_capacity" << YAML::Value << c.limits.queue_capacity;
  e << YAML::Key << "max_prompt_tokens" << YAML::Value << c.limits.max_prompt_tokens;
  e << YAML::Key << "max_new_tokens" << YAML::Value << c.limits.max_new_tokens;
  e << YAML::Key << "max_executor_failures" << YAML::Value << c.limits.max_executor_failures;
  e << YAML::Key << "batch_timeout_slack" << YAML::Value << number_text(c.limits.batch_timeout_slack);
  e << YAML::Key << "batch_timeout_floor_ms" << YAML::Value << c.limits.batch_timeout_floor_ms << YAML::EndMap;
}

void write_workers_and_faults(YAML::Emitter& e, const service_setup& c) {
  e << YAML::Key << "workers" << YAML::Value << YAML::BeginSeq;
  for (const worker_endpoint& w : c.workers)
    e << YAML::Flow << YAML::BeginMap << YAML::Key << "host" << YAML::Value << w.host << YAML::Key << "port"
      << YAML::Value << w.port << YAML::EndMap;
  e << YAML::EndSeq;
  e << YAML::Key << "faults" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "kill_executor_every_n_steps" << YAML::Value << c.faults.kill_executor_every_n_steps;
  e << YAML::Key << "stall_executor_after_n_steps" << YAML::Value << c.faults.stall_executor_after_n_steps;
  e << YAML::Key << "stall_ms" << YAML::Value << c.faults.stall_ms;
  e << YAML::Key << "step_delay_ms" << YAML::Value << c.faults.step_delay_ms << YAML::EndMap;
}

void write_server_and_logging(YAML::Emitter& e, const deployment_config& c) {
  const server_config& s = c.server;
  e << YAML::Key << "server" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "host" << YAML::Value << s.host;
  e << YAML::Key << "tcp_port" << YAML::Value << s.tcp_port;
  e << YAML::Key << "http_port" << YAML::Value << s.http_port;
  e << YAML::Key << "max_line_bytes" << YAML::Value << s.max_line_bytes;
  e << YAML::Key << "max_connections" << YAML::Value << s.max_connections;
  e << YAML::Key << "max_connections_per_address" << YAML::Value << s.max_connections_per_address;
  e << YAML::Key << "first_request_timeout_ms" << YAML::Value << s.first_request_timeout_ms;
  e << YAML::Key << "idle_timeout_s" << YAML::Value << s.idle_timeout_s;
  e << YAML::Key << "per_connection_in_flight" << YAML::Value << s.per_connection_in_flight;
  e << YAML::Key << "auth_token" << YAML::Value << s.auth_token;
  e << YAML::Key << "drain_timeout_s" << YAML::Value << number_text(s.drain_timeout_s);
  e << YAML::Key << "chat_template" << YAML::Value << s.chat_template << YAML::EndMap;
  e << YAML::Key << "logging" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "level" << YAML::Value << c.logging.level;
  e << YAML::Key << "step_trace" << YAML::Value << c.service.step_trace << YAML::EndMap;
}

}  // namespace

status_or<deployment_config> load_deployment(const std::string& path) {
  auto d = load_located_deployment(path);
  if (!d.ok()) return d.error();
  return std::move(d->config);
}

status_or<deployment_config> parse_deployment(const std::string& yaml_text, const std::string& name_for_messages) {
  auto d = parse_located_deployment(yaml_text, name_for_messages);
  if (!d.ok()) return d.error();
  return std::move(d->config);
}

status_or<located_deployment> load_located_deployment(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return status(error_code::io_error, path + ": cannot open the deployment file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return status(error_code::io_error, path + ": cannot read the deployment file");
  return parse_located_deployment(text.str(), path);
}

status_or<located_deployment> parse_located_deployment(const std::string& yaml_text,
                                                       const std::string& name_for_messages) {
  yaml_document doc(name_for_messages);
  located_deployment out;
  try {
    read_deployment(doc, YAML::Load(yaml_text), folder_of(name_for_messages), out.config);
  } catch (const YAML::Exception& e) {
    doc.fail(e.mark, "", "YAML syntax error: " + e.msg);
  }
  // The values' rules, where the file wrote the key that breaks one.
  std::optional<config_violation> v = first_violation(out.config.service);
  if (!v) v = first_violation(out.config.server);
  if (v) doc.fail_at(v->key, v->what);
  if (doc.failed()) return doc.error();
  out.marks = doc.marks();
  return out;
}

std::string to_yaml(const deployment_config& config) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  write_service(e, config.service);
  write_policy(e, config.service.policy);
  write_predictor_and_limits(e, config.service);
  write_workers_and_faults(e, config.service);
  write_server_and_logging(e, config);
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace binserve
