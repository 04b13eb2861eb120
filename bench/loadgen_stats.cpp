#include "bench/loadgen_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace binserve::tools {

namespace {

double ms_between(loadgen_clock::time_point a, loadgen_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

nlohmann::json percentiles_json(const percentiles& p) { return {{"p50", p.p50}, {"p90", p.p90}, {"p99", p.p99}}; }

std::string percentiles_text(const std::optional<percentiles>& p) {
  if (!p) return "n/a";
  char buf[128];
  std::snprintf(buf, sizeof buf, "p50 %.1f  p90 %.1f  p99 %.1f", p->p50, p->p90, p->p99);
  return buf;
}

}  // namespace

percentiles compute_percentiles(std::vector<double>& v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  auto rank = [&](double q) {
    const auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::clamp<std::size_t>(k, 1, v.size()) - 1];
  };
  return {rank(0.50), rank(0.90), rank(0.99)};
}

loadgen_tracker::loadgen_tracker(int requests) : entries_(static_cast<std::size_t>(requests)) {}

void loadgen_tracker::submitted(int id, loadgen_clock::time_point t) { entries_[id].submit = t; }

loadgen_tracker::entry* loadgen_tracker::find(long long id) {
  if (id < 0 || id >= static_cast<long long>(entries_.size())) {
    ++unmatched_;
    return nullptr;
  }
  return &entries_[static_cast<std::size_t>(id)];
}

void loadgen_tracker::token(long long id, loadgen_clock::time_point t) {
  entry* e = find(id);
  if (e && !e->first_token) e->first_token = t;
}

bool loadgen_tracker::finish(long long id, loadgen_clock::time_point t) {
  entry* e = find(id);
  if (!e) return false;
  if (e->final_at) {
    ++duplicated_;
    return false;
  }
  e->final_at = t;
  ++finished_;
  return true;
}

void loadgen_tracker::done(long long id, loadgen_clock::time_point t, int tokens) {
  if (finish(id, t)) entries_[static_cast<std::size_t>(id)].tokens = tokens;
}

void loadgen_tracker::error(long long id, loadgen_clock::time_point t, const std::string& code) {
  if (!finish(id, t)) return;
  entries_[static_cast<std::size_t>(id)].error_code = code.empty() ? "unknown" : code;
  ++failed_;
}

loadgen_report loadgen_tracker::report() const {
  loadgen_report r;
  r.requests = static_cast<int>(entries_.size());
  r.duplicated = duplicated_;
  r.unmatched = unmatched_;
  std::optional<loadgen_clock::time_point> first, last;
  std::vector<double> latency, ttft;
  long long tokens = 0;
  for (const entry& e : entries_) {
    if (e.submit && (!first || *e.submit < *first)) first = e.submit;
    if (!e.final_at) {
      ++r.lost;
      continue;
    }
    if (!last || *e.final_at > *last) last = e.final_at;
    if (!e.error_code.empty()) {
      ++r.errors[e.error_code];
      continue;
    }
    ++r.completed;
    tokens += e.tokens;
    latency.push_back(ms_between(*e.submit, *e.final_at));
    if (e.first_token) ttft.push_back(ms_between(*e.submit, *e.first_token));
  }
  if (first && last) r.seconds = ms_between(*first, *last) / 1000.0;
  if (r.seconds > 0) {
    r.requests_per_s = r.completed / r.seconds;
    r.tokens_per_s = static_cast<double>(tokens) / r.seconds;
  }
  r.latency_ms = compute_percentiles(latency);
  if (!ttft.empty()) r.ttft_ms = compute_percentiles(ttft);
  return r;
}

nlohmann::json to_json(const loadgen_report& r) {
  return {{"requests", r.requests},
          {"completed", r.completed},
          {"errors", r.errors},
          {"lost", r.lost},
          {"duplicated", r.duplicated},
          {"unmatched", r.unmatched},
          {"seconds", r.seconds},
          {"requests_per_s", r.requests_per_s},
          {"tokens_per_s", r.tokens_per_s},
          {"latency_ms", percentiles_json(r.latency_ms)},
          {"ttft_ms", r.ttft_ms ? percentiles_json(*r.ttft_ms) : nlohmann::json(nullptr)}};
}

std::string to_table(const loadgen_report& r) {
  std::ostringstream out;
  int errors = 0;
  std::string by_code;
  for (const auto& [code, n] : r.errors) {
    errors += n;
    by_code += " " + code + "=" + std::to_string(n);
  }
  char rates[96];
  std::snprintf(rates, sizeof rates, "%.2f s, %.1f requests/s, %.1f tokens/s", r.seconds, r.requests_per_s,
                r.tokens_per_s);
  out << "requests     " << r.requests << "\n"
      << "completed    " << r.completed << "\n"
      << "errors       " << errors << by_code << "\n"
      << "lost         " << r.lost << "\n"
      << "duplicated   " << r.duplicated << "\n"
      << "unmatched    " << r.unmatched << "\n"
      << "throughput   " << rates << "\n"
      << "latency ms   " << percentiles_text(r.latency_ms) << "\n"
      << "ttft ms      " << percentiles_text(r.ttft_ms) << "\n";
  return out.str();
}

}  // namespace binserve::tools
