#include "bench/bench_run.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "actors/service_setup.hpp"
#include "actors/trace_replay.hpp"
#include "bench/progress_bar.hpp"
#include "binserve/service.hpp"
#include "predict/learned_predictor.hpp"
#include "sched/policy.hpp"

namespace binserve::tools {

namespace {

using bench_clock = std::chrono::steady_clock;

// A learned predictor trained on the workload's training part, saved where
// the service can load it.
status_or<std::string> train_learned(const workload& w, double quantile) {
  if (w.train.empty())
    return status(error_code::invalid_argument, "a learned predictor needs a prompt dataset workload");
  quantile_regressor_options o;
  o.quantile = quantile;
  learned_predictor p(o, false);
  p.train(w.train, 5, 1);
  // Per process: benches may run side by side. run_once removes it once
  // the service has loaded it.
  const std::string path =
      (std::filesystem::temp_directory_path() /
       ("binserve_bench_learned_" + std::to_string(::getpid()) + "_" + std::to_string(quantile) + ".bsqr"))
          .string();
  if (status s = p.save(path); !s.ok()) return s;
  return path;
}

status_or<service_setup> config_for(const bench_setup& s, const run_point& p, const workload& w) {
  service_setup c;
  c.model = s.model;
  c.backend = s.backend;
  c.threads = s.threads;
  c.dtype = s.dtype;
  c.device = s.device;
  c.step_trace = s.step_trace;
  c.policy.kind = p.run.policy;
  c.policy.batch_size = s.batch;
  c.policy.bins = p.bins;
  c.policy.retry = s.retry;
  for (const example& e : w.requests) c.policy.length_sample.push_back(p.run.hint() ? e.hint : e.length);
  c.policy.max_batch_size = sched::is_continuous(p.run.policy) ? s.max_batch : 256;
  c.policy.kv_reserve = s.kv_reserve;
  c.policy.max_wait_steps = s.max_wait_steps;
  c.policy.max_preemptions = s.max_preemptions;
  c.kv_cache_bytes = s.kv_cache_bytes;
  c.policy.variable_batch = p.run.vbs;
  c.policy.cap_batches = p.run.fcr;
  c.policy.rebin = p.run.rebin;
  c.limits.max_new_tokens = s.cap;
  c.limits.queue_capacity = static_cast<int>(w.requests.size());
  if (p.run.hint() && (w.requests.empty() || w.requests.front().hint == 0))
    return status(error_code::invalid_argument, "run '" + p.run.label + "': the hint predictor needs --hint-field");
  c.predictor.kind = p.run.predictor_kind();
  c.predictor.quantile = p.run.quantile;
  if (p.run.probe()) {
    if (s.probe_model.empty() || w.train.empty())
      return status(error_code::invalid_argument, "run '" + p.run.label +
                                                      "': the probe predictor needs "
                                                      "--probe-model and a prompt dataset workload");
    std::vector<int> lengths;
    for (const example& e : w.train) lengths.push_back(e.length);
    std::nth_element(lengths.begin(), lengths.begin() + lengths.size() / 2, lengths.end());
    c.predictor.fixed_length = std::max(1, lengths[lengths.size() / 2]);
    c.predictor.probe_file = s.probe_model;
  }
  if (p.run.predictor == "learned") {
    auto path = train_learned(w, p.run.quantile);
    if (!path.ok()) return path.error();
    c.predictor.model_file = *path;
  }
  return c;
}

// Final values as they arrive on the service's threads.
struct finals {
  std::mutex m;
  std::condition_variable cv;
  int finished = 0, completed = 0;
  bench_clock::time_point last;
};

// Submits request i at w.arrival_s[i] after the start, then waits for every
// final value. Returns the seconds from the start to the last final.
double replay(service& svc, const workload& w, const run_spec& run, const bench_setup& setup, progress_bar* progress,
              finals& f) {
  const auto start = bench_clock::now();
  for (std::size_t i = 0; i < w.requests.size(); ++i) {
    std::this_thread::sleep_until(
        start + std::chrono::duration_cast<bench_clock::duration>(std::chrono::duration<double>(w.arrival_s[i])));
    const example& e = w.requests[i];
    request q;
    q.prompt = e.prompt;
    q.prompt_ids = e.prompt_ids;
    q.max_new_tokens = setup.cap;
    const trace_replay lengths{.target_length = setup.own_stops ? 0 : e.length,
                               .known_length = run.hint() ? e.hint : e.length};
    if (setup.own_stops) {
      q.temperature = setup.temperature;
      q.top_p = setup.top_p;
      q.seed = e.seed;
    }
    submit_replay(svc, q, lengths, {}, [&f, progress](request_id, status_or<result> r) {
      std::lock_guard lock(f.m);
      ++f.finished;
      f.completed += r.ok() ? 1 : 0;
      f.last = bench_clock::now();
      if (progress) progress->add();
      f.cv.notify_all();
    });
  }
  std::unique_lock lock(f.m);
  f.cv.wait(lock, [&] { return f.finished == static_cast<int>(w.requests.size()); });
  return f.finished > 0 ? std::chrono::duration<double>(f.last - start).count() : 0.0;
}

bench_row row_of(const run_point& p, const stats& st, int requests, int completed, double seconds) {
  bench_row r;
  r.point = p;
  r.bins = st.bins.empty() ? 0 : static_cast<int>(st.bins.size()) - 1;
  r.requests = requests;
  r.completed = completed;
  r.seconds = seconds;
  r.requests_per_s = seconds > 0 ? completed / seconds : 0.0;
  r.tokens_per_s = seconds > 0 ? st.generated_tokens / seconds : 0.0;
  r.figures = figures_of(st);
  return r;
}

}  // namespace

status_or<run_spec> parse_run(const std::string& s) {
  run_spec r{s};
  std::string policy = s.substr(0, s.find(':'));
  for (auto plus = policy.find('+'); plus != std::string::npos; plus = policy.find('+')) {
    const auto next = policy.find('+', plus + 1);
    const std::string option = policy.substr(plus + 1, next == std::string::npos ? next : next - plus - 1);
    if (option == "novbs")
      r.vbs = false;
    else if (option == "nofcr")
      r.fcr = false;
    else if (option == "rebin")
      r.rebin = true;
    else
      return status(error_code::invalid_argument,
                    "run '" + s + "': unknown option '+" + option + "' (known: +novbs, +nofcr, +rebin)");
    policy.erase(plus, option.size() + 1);
  }
  const std::optional<policy_kind> kind = from_name<policy_kind>(policy);
  if (!kind) {
    std::string known;
    for (const std::string& name : names_of<policy_kind>()) known += (known.empty() ? "" : ", ") + name;
    return status(error_code::invalid_argument,
                  "run '" + s + "': unknown policy '" + policy + "' (known: " + known + ")");
  }
  r.policy = *kind;
  if (s.find(':') == std::string::npos) return r;
  const std::string rest = s.substr(s.find(':') + 1);
  r.predictor = rest.substr(0, rest.find(':'));
  if (rest.find(':') != std::string::npos) {
    char* end = nullptr;
    r.quantile = std::strtod(rest.c_str() + rest.find(':') + 1, &end);
    if (*end != '\0' || !(r.quantile > 0 && r.quantile < 1))
      return status(error_code::invalid_argument, "run '" + s + "': the quantile must be in (0, 1)");
  }
  return r;
}

status_or<bench_row> run_once(const bench_setup& setup, const run_point& point, const workload& w,
                              const std::string& title) {
  auto config = config_for(setup, point, w);
  if (!config.ok()) return config.error();
  auto svc = start_service(*config);
  if (std::error_code ignored; point.run.predictor == "learned")
    std::filesystem::remove(config->predictor.model_file, ignored);
  if (!svc.ok()) return svc.error();
  const int n = static_cast<int>(w.requests.size());
  finals f;
  double seconds = 0;
  {
    std::optional<progress_bar> progress;
    if (setup.progress && n > 0) progress.emplace(title, n);
    seconds = replay(**svc, w, point.run, setup, progress ? &*progress : nullptr, f);
  }
  return row_of(point, (*svc)->current_stats(), n, f.completed, seconds);
}

}  // namespace binserve::tools
