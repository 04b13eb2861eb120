#include "config/config_rules.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string_view>

#include "actors/service_setup.hpp"
#include "net/server_config.hpp"

namespace binserve {

namespace {

constexpr std::int64_t kNoMax = std::numeric_limits<std::int64_t>::max();
constexpr int kMaxDevice = 1023;
constexpr int kMaxBins = 1024;
constexpr int kMaxPort = 65535;
// A day: longer is a mistake (a unit slip), and it keeps the seconds finite
// for the servers' timers (a NaN or inf would fail every comparison).
constexpr double kMaxDrainSeconds = 86400;

constexpr std::array<std::string_view, 6> kPredictorKinds = {"oracle",  "fixed",     "prompt-ratio",
                                                             "learned", "embedding", "history"};

// Keeps the first broken rule of a walk over a config; later checks are no-ops.
class rule_walk {
 public:
  // lo <= v <= hi; "must be >= lo" when there is no upper bound.
  void range(const std::string& key, std::int64_t v, std::int64_t lo, std::int64_t hi = kNoMax) {
    const std::string bound = hi == kNoMax ? "must be >= " + std::to_string(lo)
                                           : "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    require(v >= lo && v <= hi, key, bound + " (got " + std::to_string(v) + ")");
  }
  // `ok`, else `key` breaks the rule `what` states.
  void require(bool ok, const std::string& key, const std::string& what) {
    if (!ok && !first) first = config_violation{key, what};
  }
  // `v` is one of the first `count` predictor kinds.
  void predictor_kind(const std::string& key, const std::string& v, std::size_t count) {
    bool known = false;
    std::string list;
    for (std::size_t i = 0; i < count; ++i) {
      known |= v == kPredictorKinds[i];
      list += (i ? ", " : "") + std::string(kPredictorKinds[i]);
    }
    require(known, key, "must be one of: " + list + " (got '" + v + "')");
  }

  std::optional<config_violation> first;
};

// "got X" for a real number.
std::string got(double v) { return " (got " + number_text(v) + ")"; }

void walk_policy(rule_walk& r, const policy_config& p) {
  r.range("policy.batch_size", p.batch_size, 1);
  r.range("policy.bins", p.bins, 1, kMaxBins);  // the quantiles of more are noise
  for (std::size_t i = 0; i < p.length_sample.size(); ++i)
    r.range("policy.length_sample[" + std::to_string(i) + "]", p.length_sample[i], 0);
  r.range("policy.bin_width", p.bin_width, 1);
  r.range("policy.max_batch_size", p.max_batch_size, 1);
  r.require(
      p.max_batch_size >= p.batch_size, "policy.max_batch_size",
      "must be >= policy.batch_size (" + std::to_string(p.max_batch_size) + " < " + std::to_string(p.batch_size) + ")");
  r.range("policy.kv_token_budget", p.kv_token_budget, 0);
  r.range("policy.max_wait_ms", p.max_wait.count(), 0);
  r.require(p.sjf_aging_per_s >= 0, "policy.sjf_aging_per_s", "must be >= 0" + got(p.sjf_aging_per_s));
  r.range("policy.max_wait_steps", p.max_wait_steps, 0);
  r.range("policy.max_preemptions", p.max_preemptions, 0);
}

void walk_predictor(rule_walk& r, const predictor_config& p) {
  r.predictor_kind("predictor.kind", p.kind, kPredictorKinds.size());
  r.range("predictor.fixed_length", p.fixed_length, 1);
  r.require(p.ratio > 0, "predictor.ratio", "must be > 0" + got(p.ratio));
  r.require(p.quantile > 0 && p.quantile < 1, "predictor.quantile", "must be in (0, 1)" + got(p.quantile));
  r.predictor_kind("predictor.fallback", p.fallback, kPredictorKinds.size() - 1);  // not history itself
  r.range("predictor.history_capacity", p.history_capacity, 1);
  r.require(p.hint_weight >= 0 && p.hint_weight <= 1, "predictor.hint_weight",
            "must be in [0, 1]" + got(p.hint_weight));
  r.range("predictor.refresh_tokens", p.refresh_tokens, 1);
}

void walk_limits(rule_walk& r, const limits_config& l) {
  r.range("limits.queue_capacity", l.queue_capacity, 1);
  r.range("limits.max_prompt_tokens", l.max_prompt_tokens, 0);
  r.range("limits.max_new_tokens", l.max_new_tokens, 1);
  r.range("limits.max_executor_failures", l.max_executor_failures, 0);
  r.require(l.batch_timeout_slack >= 1, "limits.batch_timeout_slack", "must be >= 1" + got(l.batch_timeout_slack));
  r.range("limits.batch_timeout_floor_ms", l.batch_timeout_floor_ms, 1);
}

void walk_service(rule_walk& r, const service_config& c) {
  for (std::size_t i = 0; i < c.stop_tokens.size(); ++i)
    r.range("model.stop_tokens[" + std::to_string(i) + "]", c.stop_tokens[i], 0);
  r.range("backend.device", c.device, 0, kMaxDevice);
  r.range("backend.threads", c.threads, 0, kMaxBackendThreads);
  r.range("backend.kv_cache_bytes", c.kv_cache_bytes, 0);
  r.require(c.device_memory_share > 0 && c.device_memory_share <= 1, "backend.device_memory_share",
            "must be in (0, 1]" + got(c.device_memory_share));
  r.range("executors", c.executors, 0, kMaxExecutors);
  walk_policy(r, c.policy);
  walk_predictor(r, c.predictor);
  walk_limits(r, c.limits);
  for (std::size_t i = 0; i < c.workers.size(); ++i) {
    const std::string at = "workers[" + std::to_string(i) + "]";
    r.require(!c.workers[i].host.empty(), at + ".host", "must not be empty");
    r.range(at + ".port", c.workers[i].port, 1, kMaxPort);
  }
  r.require(c.executors > 0 || !c.workers.empty(), "executors", "0 needs workers to run the batches");
}

void walk_setup(rule_walk& r, const service_setup& c) {
  walk_service(r, c);
  r.range("faults.kill_executor_every_n_steps", c.faults.kill_executor_every_n_steps, 0);
  r.range("faults.stall_executor_after_n_steps", c.faults.stall_executor_after_n_steps, 0);
  r.range("faults.stall_ms", c.faults.stall_ms, 0);
  r.range("faults.step_delay_ms", c.faults.step_delay_ms, 0);
}

void walk_server(rule_walk& r, const server_config& s) {
  r.require(!s.host.empty(), "server.host", "must not be empty");
  r.range("server.tcp_port", s.tcp_port, -1, kMaxPort);
  r.range("server.http_port", s.http_port, -1, kMaxPort);
  r.range("server.max_line_bytes", s.max_line_bytes, 1);
  r.range("server.max_connections", s.max_connections, 1);
  r.range("server.max_connections_per_address", s.max_connections_per_address, 1);
  r.range("server.first_request_timeout_ms", s.first_request_timeout_ms, 1);
  r.range("server.idle_timeout_s", s.idle_timeout_s, 1);
  r.range("server.per_connection_in_flight", s.per_connection_in_flight, 1);
  r.require(s.drain_timeout_s >= 0 && s.drain_timeout_s <= kMaxDrainSeconds, "server.drain_timeout_s",
            "must be in [0, " + number_text(kMaxDrainSeconds) + "]" + got(s.drain_timeout_s));
}

template <class Config, class Walk>
std::optional<config_violation> walked(const Config& c, Walk walk) {
  rule_walk r;
  walk(r, c);
  return r.first;
}

template <class Config>
status as_status(const Config& c) {
  const std::optional<config_violation> v = first_violation(c);
  return v ? status(error_code::config_invalid, v->key + ": " + v->what) : status::ok_status();
}

}  // namespace

std::optional<config_violation> first_violation(const service_config& c) { return walked(c, walk_service); }
std::optional<config_violation> first_violation(const service_setup& c) { return walked(c, walk_setup); }
std::optional<config_violation> first_violation(const policy_config& c) { return walked(c, walk_policy); }
std::optional<config_violation> first_violation(const predictor_config& c) { return walked(c, walk_predictor); }
std::optional<config_violation> first_violation(const server_config& c) { return walked(c, walk_server); }

status check_rules(const service_config& c) { return as_status(c); }
status check_rules(const service_setup& c) { return as_status(c); }
status check_rules(const policy_config& c) { return as_status(c); }
status check_rules(const predictor_config& c) { return as_status(c); }
status check_rules(const server_config& c) { return as_status(c); }

std::string number_text(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace binserve
