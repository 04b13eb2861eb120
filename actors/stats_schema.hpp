// binserve: the one description of the service's metrics, binserve::stats
// (include/binserve/stats.hpp) and the summaries it holds. Each field once:
// its key in the TCP protocol's JSON, its Prometheus metric (name after
// "binserve_", or after the list's prefix: "bin_", "node_"), kind and help,
// and whether it is newer than the protocol's first version (servers older
// than it leave it out, and a reader keeps its default).
//
// Walked by the CAF inspection (actors/messages.hpp), the protocol's JSON
// both ways (net/protocol.cpp), the Prometheus text (net/prometheus.cpp)
// and `binserve stats` (tools/stats_print.cpp): a new metric is a member in
// stats.hpp and a row here, and every one of those carries it.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "binserve/stats.hpp"

namespace binserve {

// How Prometheus exposes a field: not at all (a label or a detail), as a
// counter, a gauge, or (a latency_summary) a summary of quantiles, _sum and
// _count; a list's items are exposed field by field, each labelled.
enum class metric_kind { none, counter, gauge, summary, list };

template <class Owner, class T>
struct stat_field {
  using value_type = T;
  const char* key;  // in the protocol's JSON
  T Owner::*member;
  metric_kind kind;
  const char* metric;  // Prometheus name after its prefix; "" when kind is none
  const char* help;
  bool since_first;  // false: older servers leave it out
};

namespace schema_detail {

template <class O, class T>
constexpr stat_field<O, T> detail(const char* key, T O::*m, bool since_first = true) {
  return {key, m, metric_kind::none, "", "", since_first};
}
template <class O, class T>
constexpr stat_field<O, T> metric(metric_kind kind, const char* key, T O::*m, const char* name, const char* help,
                                  bool since_first = true) {
  return {key, m, kind, name, help, since_first};
}
constexpr metric_kind counter = metric_kind::counter, gauge = metric_kind::gauge, summary = metric_kind::summary,
                      list = metric_kind::list;

}  // namespace schema_detail

// stats_schema<T>::fields: the tuple of T's stat_fields, in T's order;
// type_name: its name between actors.
template <class T>
struct stats_schema;

template <>
struct stats_schema<latency_summary> {
  static constexpr const char* type_name = "binserve::latency_summary";
  static constexpr auto fields = [] {
    using namespace schema_detail;
    using L = latency_summary;
    return std::make_tuple(detail("mean", &L::mean), detail("p50", &L::p50), detail("p90", &L::p90),
                           detail("p99", &L::p99), detail("count", &L::count, false), detail("sum", &L::sum, false));
  }();
};

template <>
struct stats_schema<bin_summary> {
  static constexpr const char* type_name = "binserve::bin_summary";
  static constexpr auto fields = [] {
    using namespace schema_detail;
    using B = bin_summary;
    return std::make_tuple(
        detail("bin", &B::bin), detail("lo", &B::lo), detail("hi", &B::hi), detail("retry", &B::retry, false),
        detail("batch_size", &B::batch_size), detail("cap", &B::cap),
        metric(gauge, "queue_depth", &B::queue_depth, "queue_depth", "Requests waiting in the bin"),
        metric(counter, "batches", &B::batches, "batches_total", "Batches the bin emitted"),
        metric(gauge, "mean_batch_size", &B::mean_batch_size, "mean_batch_size", "Mean size of the bin's batches"));
  }();
};

template <>
struct stats_schema<node_summary> {
  static constexpr const char* type_name = "binserve::node_summary";
  static constexpr auto fields = [] {
    using namespace schema_detail;
    using N = node_summary;
    return std::make_tuple(
        detail("node", &N::node), detail("name", &N::name),
        metric(gauge, "connected", &N::connected, "connected", "1 when the node's executors are in use"),
        metric(gauge, "executors", &N::executors, "executors", "Executors of the node in use"),
        metric(counter, "batches", &N::batches, "batches_total", "Static batches (continuous: steps) the node ran"),
        metric(counter, "computed_slots", &N::computed_slots, "computed_slots_total",
               "Batch size x steps the node computed"),
        metric(counter, "executor_failures", &N::executor_failures, "executor_failures_total",
               "Executors of the node that died (a fault or a lost link)"),
        detail("problem", &N::problem));
  }();
};

template <>
struct stats_schema<stats> {
  static constexpr const char* type_name = "binserve::stats";
  static constexpr auto fields = [] {
    using namespace schema_detail;
    using S = stats;
    return std::make_tuple(
        metric(counter, "submitted", &S::submitted, "requests_submitted_total", "Requests submitted"),
        metric(counter, "completed", &S::completed, "requests_completed_total", "Requests completed"),
        metric(counter, "failed", &S::failed, "requests_failed_total", "Requests that ended in an error"),
        metric(counter, "rejected", &S::rejected, "requests_rejected_total", "Requests refused at admission"),
        metric(counter, "cancelled", &S::cancelled, "requests_cancelled_total", "Requests cancelled"),
        metric(counter, "timed_out", &S::timed_out, "requests_timed_out_total", "Requests past their deadline"),
        metric(counter, "retries", &S::retries, "retries_total", "Batch-cap overflows sent back as retry jobs"),
        metric(counter, "generated_tokens", &S::generated_tokens, "generated_tokens_total", "Tokens in final results"),
        metric(counter, "computed_slots", &S::computed_slots, "computed_slots_total",
               "Batch size x steps, summed over batches"),
        metric(gauge, "elapsed_s", &S::elapsed_s, "uptime_seconds", "Seconds since the service started"),
        metric(gauge, "requests_per_s", &S::requests_per_s, "requests_per_second", "Completed requests per second"),
        metric(gauge, "tokens_per_s", &S::tokens_per_s, "tokens_per_second", "Generated tokens per second"),
        metric(gauge, "effective_token_ratio", &S::effective_token_ratio, "effective_token_ratio",
               "Generated tokens per computed slot"),
        metric(gauge, "failure_ratio", &S::failure_ratio, "failure_ratio", "Retries per completed request"),
        metric(summary, "latency", &S::latency, "request_latency_ms", "Submission to final result, ms"),
        metric(summary, "first_token", &S::first_token, "first_token_latency_ms", "Submission to first token, ms"),
        metric(summary, "queue", &S::queue, "queue_latency_ms", "Submission to batch start, ms"),
        metric(summary, "tpot", &S::tpot, "time_per_output_token_ms",
               "Per request, (latency - first token) / (tokens - 1), ms", false),
        metric(list, "bins", &S::bins, "bin_", "Per bin of the policy"),
        metric(counter, "requeued", &S::requeued, "requeued_total", "Jobs run again because their executor died",
               false),
        metric(counter, "executor_failures", &S::executor_failures, "executor_failures_total",
               "Executors that died, all nodes", false),
        metric(counter, "preemptions", &S::preemptions, "preemptions_total", "Sequences preempted", false),
        metric(counter, "recomputed_tokens", &S::recomputed_tokens, "recomputed_tokens_total",
               "Tokens prefilled again after their KV cache was dropped", false),
        metric(list, "nodes", &S::nodes, "node_", "Per node of the cluster", false));
  }();
};

// Whether T is described above.
template <class T>
concept described = requires {
  stats_schema<T>::fields;
};

// Calls visit(field) for each field of T, in order.
template <described T, class Visit>
void for_each_field(Visit&& visit) {
  std::apply([&](const auto&... f) { (visit(f), ...); }, stats_schema<T>::fields);
}

}  // namespace binserve
