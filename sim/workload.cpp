#include "sim/workload.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <random>

#include <nlohmann/json.hpp>

#include "gpu/model.hpp"

namespace binserve::tools {

namespace {

// Independent random streams from one seed: lengths and arrival gaps.
enum class stream : std::uint32_t { lengths = 1, arrivals = 2 };

std::mt19937_64 rng_for(std::uint64_t seed, stream s) {
  std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                    static_cast<std::uint32_t>(s)};
  return std::mt19937_64(seq);
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The whole of `s` as a finite number, or nothing.
std::optional<double> to_number(const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(v)) return {};
  return v;
}

std::optional<int> to_int(const std::string& s) {
  const auto v = to_number(s);
  if (!v || *v != std::floor(*v) || std::abs(*v) > 1e9) return {};
  return static_cast<int>(*v);
}

status bad_spec(const std::string& what, const std::string& spec, const std::string& expected) {
  return status(error_code::invalid_argument, what + " '" + spec + "': expected " + expected);
}

example synthetic(int i, int length) { return example{"Request " + std::to_string(i) + ":", {}, length}; }

// `requests` requests whose lengths come from `draw()`, clamped to [1, cap].
template <class Draw>
workload drawn(const workload_options& o, Draw draw) {
  workload w;
  for (int i = 0; i < o.requests; ++i) w.requests.push_back(synthetic(i, std::clamp(draw(), 1, o.cap)));
  return w;
}

status_or<workload> load_const(const workload_options& o) {
  const auto n = to_int(o.source.substr(6));
  if (!n || *n < 1) return bad_spec("workload", o.source, "const:N with an integer N >= 1");
  return drawn(o, [&] { return *n; });
}

status_or<workload> load_uniform(const workload_options& o) {
  const std::string args = o.source.substr(8);
  const auto colon = args.find(':');
  const auto a = to_int(args.substr(0, colon));
  const auto b = colon == std::string::npos ? std::nullopt : to_int(args.substr(colon + 1));
  if (!a || !b || *a < 1 || *a > *b) return bad_spec("workload", o.source, "uniform:A:B with integers 1 <= A <= B");
  auto rng = rng_for(o.seed, stream::lengths);
  std::uniform_int_distribution<int> length(*a, *b);
  return drawn(o, [&] { return length(rng); });
}

status_or<workload> load_exponential(const workload_options& o) {
  const auto mean = to_number(o.source.substr(12));
  if (!mean || *mean <= 0) return bad_spec("workload", o.source, "exponential:MEAN with MEAN > 0");
  auto rng = rng_for(o.seed, stream::lengths);
  std::exponential_distribution<double> length(1.0 / *mean);
  return drawn(o, [&] { return static_cast<int>(std::min(std::lround(length(rng)), 1L << 30)); });
}

status_or<workload> load_json_trace(const workload_options& o) {
  std::ifstream in(o.source);
  if (!in) return status(error_code::io_error, o.source + ": cannot open");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    return status(error_code::invalid_argument, o.source + ": " + e.what());
  }
  if (!j.is_array() || j.empty())
    return status(error_code::invalid_argument, o.source + ": expected a JSON array of records");
  workload w;
  for (int i = 0; i < o.requests; ++i) {
    const auto& rec = j[i % j.size()];
    if (!rec.is_object() || !rec.contains(o.length_field) || !rec[o.length_field].is_number_integer())
      return status(error_code::invalid_argument, o.source + ": record " + std::to_string(i % j.size()) +
                                                      " has no integer field '" + o.length_field + "'");
    w.requests.push_back(synthetic(i, std::clamp(rec[o.length_field].get<int>(), 1, o.cap)));
    if (o.hint_field.empty()) continue;
    if (!rec.contains(o.hint_field) || !rec[o.hint_field].is_number_integer())
      return status(error_code::invalid_argument, o.source + ": record " + std::to_string(i % j.size()) +
                                                      " has no integer field '" + o.hint_field + "'");
    w.requests.back().hint = std::clamp(rec[o.hint_field].get<int>(), 1, o.cap);
  }
  return w;
}

// "2023-11-16 18:15:46.6805900" as seconds since the epoch.
std::optional<double> parse_timestamp(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, used = 0;
  double sec = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%d %d:%d:%lf%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
      static_cast<std::size_t>(used) != s.size())
    return {};
  const std::chrono::year_month_day date{std::chrono::year(y), std::chrono::month(mo), std::chrono::day(d)};
  if (!date.ok() || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec >= 61) return {};
  const auto days = std::chrono::sys_days(date).time_since_epoch().count();
  return static_cast<double>(days) * 86400.0 + h * 3600.0 + mi * 60.0 + sec;
}

// One row of the Azure LLM inference trace.
struct csv_row {
  double time_s = 0;
  int context_tokens = 0, generated_tokens = 0;
};

std::optional<csv_row> parse_csv_row(const std::string& line) {
  const auto c1 = line.find(','), c2 = line.find(',', c1 == std::string::npos ? c1 : c1 + 1);
  if (c2 == std::string::npos || line.find(',', c2 + 1) != std::string::npos) return {};
  const auto when = parse_timestamp(line.substr(0, c1));
  const auto context = to_int(line.substr(c1 + 1, c2 - c1 - 1));
  const auto generated = to_int(line.substr(c2 + 1));
  if (!when || !context || !generated || *context < 0 || *generated < 0) return {};
  return csv_row{*when, *context, *generated};
}

status_or<std::vector<csv_row>> read_csv(const std::string& path) {
  static const std::string header = "TIMESTAMP,ContextTokens,GeneratedTokens";
  std::ifstream in(path);
  if (!in) return status(error_code::io_error, path + ": cannot open");
  std::vector<csv_row> rows;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto row = n == 1 ? std::nullopt : parse_csv_row(line);
    if (n == 1 ? line != header : !line.empty() && !row)
      return status(error_code::invalid_argument,
                    path + ":" + std::to_string(n) + ": expected " + (n == 1 ? "the header " + header : header));
    if (row) rows.push_back(*row);
  }
  if (rows.size() < 2) return status(error_code::invalid_argument, path + ": fewer than 2 rows");
  return rows;
}

// A loaded source, and the trace's timestamps for `trace` arrivals.
struct source {
  workload w;
  std::vector<double> trace_times_s;
};

status_or<source> load_csv_trace(const workload_options& o) {
  auto rows = read_csv(o.source);
  if (!rows.ok()) return rows.error();
  source s;
  for (int i = 0; i < o.requests; ++i) {
    const csv_row& r = (*rows)[static_cast<std::size_t>(i) % rows->size()];
    s.w.requests.push_back(synthetic(i, std::clamp(r.generated_tokens, 1, o.cap)));
    s.w.prompt_tokens.push_back(r.context_tokens);
  }
  for (const csv_row& r : *rows) s.trace_times_s.push_back(r.time_s);
  return s;
}

bool is_dataset(const std::string& path) {
  std::ifstream in(path);
  std::string head(4096, '\0');
  in.read(head.data(), head.size());
  head.resize(in.gcount());
  return head.find("\"prompt\"") != std::string::npos || head.find("\"output\"") != std::string::npos;
}

// Dataset lengths under the length model's tokenizer; prompts re-encoded
// with the served model's, so a learned predictor sees what the service sees.
status_or<workload> load_prompts(const workload_options& o) {
  auto counter = load_model(o.length_model);
  if (!counter.ok()) return counter.error();
  auto served = load_model(o.served_model);
  if (!served.ok()) return served.error();
  auto all = load_dataset(o.source, tokenizer(counter->vocab));
  if (!all.ok()) return all.error();
  const tokenizer served_tok(served->vocab);
  for (example& e : *all) {
    e.prompt_ids = served_tok.encode(e.prompt);
    e.length = std::clamp(e.length, 1, o.cap);
  }
  dataset_split split = split_dataset(*all, o.test_fraction);
  workload w;
  w.requests = std::move(split.test);
  w.train = std::move(split.train);
  if (o.repeat_dataset && !w.requests.empty()) {
    const std::size_t held_out = w.requests.size(), n = static_cast<std::size_t>(o.requests);
    for (std::size_t i = held_out; i < n; ++i) w.requests.push_back(w.requests[i % held_out]);
    w.requests.resize(n);
  }
  return w;
}

status_or<source> load_source(const workload_options& o) {
  status_or<workload> w = status(error_code::internal, "no source");
  if (starts_with(o.source, "const:"))
    w = load_const(o);
  else if (starts_with(o.source, "uniform:"))
    w = load_uniform(o);
  else if (starts_with(o.source, "exponential:"))
    w = load_exponential(o);
  else if (ends_with(o.source, ".csv"))
    return load_csv_trace(o);
  else if (!is_dataset(o.source))
    w = load_json_trace(o);
  else if (o.length_model.empty())
    return status(error_code::invalid_argument,
                  o.source + ": a prompt dataset needs --length-model (whose tokenizer counts lengths)");
  else
    w = load_prompts(o);
  if (!w.ok()) return w.error();
  return source{std::move(*w), {}};
}

// Offsets of n requests: see the header's Arrivals.
status_or<std::vector<double>> make_offsets(const std::string& spec, std::size_t n, std::uint64_t seed,
                                            const std::vector<double>& trace_times_s) {
  static const std::string expected = "offline, poisson:RATE or trace[:SCALE] (RATE, SCALE > 0)";
  std::vector<double> offsets(n, 0.0);
  if (spec == "offline") return offsets;
  const auto colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  const auto value = colon == std::string::npos ? std::optional<double>(kind == "trace" ? 1.0 : 0.0)
                                                : to_number(spec.substr(colon + 1));
  if ((kind != "poisson" && kind != "trace") || !value || *value <= 0) return bad_spec("arrivals", spec, expected);
  if (kind == "trace" && trace_times_s.size() < 2)
    return bad_spec("arrivals", spec, "a CSV trace workload (its TIMESTAMP column gives the gaps)");
  auto rng = rng_for(seed, stream::arrivals);
  std::exponential_distribution<double> gap(kind == "poisson" ? *value : 1.0);
  for (std::size_t i = 1; i < n; ++i) {
    if (kind == "poisson") {
      offsets[i] = offsets[i - 1] + gap(rng);
      continue;
    }
    const std::size_t k = 1 + (i - 1) % (trace_times_s.size() - 1);
    offsets[i] = offsets[i - 1] + *value * std::max(0.0, trace_times_s[k] - trace_times_s[k - 1]);
  }
  return offsets;
}

}  // namespace

status_or<workload> load_workload(const workload_options& o) {
  if (o.requests < 1) return status(error_code::invalid_argument, "a workload needs at least 1 request");
  if (o.cap < 1) return status(error_code::invalid_argument, "a workload's length cap must be >= 1");
  auto s = load_source(o);
  if (!s.ok()) return s.error();
  auto offsets = make_offsets(o.arrivals, s->w.requests.size(), o.seed, s->trace_times_s);
  if (!offsets.ok()) return offsets.error();
  s->w.arrival_s = std::move(*offsets);
  return std::move(s->w);
}

}  // namespace binserve::tools
