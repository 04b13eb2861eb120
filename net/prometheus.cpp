#include "net/prometheus.hpp"

#include <charconv>
#include <climits>
#include <cmath>
#include <functional>
#include <utility>

namespace binserve::net {
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
  void family(const std::string& name, const char* type, const std::string& help) {
    out_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void sample(const std::string& name, const std::string& labels, double v) {
    out_ += name + (labels.empty() ? "" : "{" + labels + "}") + " " + number(v) + "\n";
  }
  void single(const std::string& name, const char* type, const std::string& help, double v) {
    family(name, type, help);
    sample(name, "", v);
  }
  void summary(const std::string& name, const char* help, const latency_summary& l) {
    family(name, "summary", help);
    sample(name, R"(quantile="0.5")", l.p50);
    sample(name, R"(quantile="0.9")", l.p90);
    sample(name, R"(quantile="0.99")", l.p99);
    sample(name + "_sum", "", l.sum);
    sample(name + "_count", "", static_cast<double>(l.count));
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
      {"executor_failures", s.executor_failures}, {"preemptions", s.preemptions},
      {"recomputed_tokens", s.recomputed_tokens}};
  for (const auto& [name, v] : rows)
    e.single(std::string("binserve_") + name + "_total", "counter",
             std::string(name) + " since the service started", static_cast<double>(v));
}

std::string bin_labels(const bin_summary& b) {
  if (b.retry) return R"(bin="retry")";
  const std::string hi = b.hi == INT_MAX ? "+Inf" : std::to_string(b.hi);
  return "bin=\"" + std::to_string(b.bin) + "\",lo=\"" + std::to_string(b.lo) + "\",hi=\"" + hi + "\"";
}

void bins(exposition& e, const std::vector<bin_summary>& bs) {
  e.family("binserve_bin_queue_depth", "gauge", "Requests waiting in the bin");
  for (const auto& b : bs) e.sample("binserve_bin_queue_depth", bin_labels(b), b.queue_depth);
  e.family("binserve_bin_batches_total", "counter", "Batches the bin emitted");
  for (const auto& b : bs) e.sample("binserve_bin_batches_total", bin_labels(b), static_cast<double>(b.batches));
  e.family("binserve_bin_mean_batch_size", "gauge", "Mean size of the bin's batches");
  for (const auto& b : bs) e.sample("binserve_bin_mean_batch_size", bin_labels(b), b.mean_batch_size);
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

}  // namespace binserve::net
