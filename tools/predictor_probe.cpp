// The probe's side of `binserve predictor`: training it from a state trace,
// and `eval --trace`, which scores every predictor's remaining length at the
// refresh points of the held-out generations. Prompt-only predictors are read
// as the scheduling core reads them: the prediction at admission, less the
// tokens made, doubled when outlived (sched::estimate_after).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "gpu/tokenizer.hpp"
#include "predict/refresh_evaluation.hpp"
#include "sched/core.hpp"
#include "tools/predictor_parts.hpp"

namespace binserve::tools {

namespace {

using json = nlohmann::json;

// A dataset of generations with its trace: line g of the data is generation g.
struct traced_data {
  std::vector<example> generations;
  state_trace trace;
  std::vector<int> lengths, prompt_tokens;
  std::vector<bool> test;  // by prompt, as split_dataset decides
};

status_or<traced_data> load_traced(const model& m, const std::string& data, const std::string& trace_path,
                                   double test_fraction) {
  auto all = load_dataset(data, tokenizer(m.vocab));
  if (!all.ok()) return all.error();
  auto trace = state_trace::load(trace_path);
  if (!trace.ok()) return trace.error();
  traced_data d{std::move(*all), std::move(*trace), {}, {}, {}};
  for (const example& e : d.generations) {
    d.lengths.push_back(e.length);
    d.prompt_tokens.push_back(static_cast<int>(e.prompt_ids.size()));
    d.test.push_back(in_test_split(e.prompt, test_fraction));
  }
  return d;
}

probe_options options_of(const fit_flags& f) {
  probe_options o = f.probe;
  o.quantile = f.quantile;
  return o;
}

status_or<probe_predictor> fit_probe(const traced_data& d, const fit_flags& f) {
  std::vector<bool> train(d.test.size());
  for (std::size_t g = 0; g < train.size(); ++g) train[g] = !d.test[g];
  auto rows = probe_examples(d.trace, d.lengths, d.prompt_tokens, train);
  if (!rows.ok()) return rows.error();
  std::cerr << "probe: " << rows->size() << " training rows, width " << d.trace.width() << "\n";
  return probe_predictor::train(*rows, d.trace.layers(), d.trace.refresh_tokens(), options_of(f), f.seed);
}

// The test points, generation by generation in step order, and the trace row of each.
struct test_points {
  std::vector<refresh_point> points, train;
  std::vector<int> generation;
  std::vector<std::size_t> row;
};

test_points points_of(const traced_data& d) {
  std::map<int, std::vector<std::size_t>> rows_of;
  test_points t;
  for (std::size_t r = 0; r < d.trace.rows(); ++r) {
    const int g = d.trace.generation(r);
    if (d.test[g]) {
      rows_of[g].push_back(r);
    } else {
      t.train.push_back({d.trace.step(r), d.lengths[g] - d.trace.step(r)});
    }
  }
  for (auto& [g, rows] : rows_of) {
    std::sort(rows.begin(), rows.end(), [&](auto a, auto b) { return d.trace.step(a) < d.trace.step(b); });
    for (std::size_t r : rows) {
      t.points.push_back({d.trace.step(r), d.lengths[g] - d.trace.step(r)});
      t.generation.push_back(g);
      t.row.push_back(r);
    }
  }
  return t;
}

// `step`: the median remaining length of training rows at that step (the
// last step with rows for later ones).
std::vector<int> predict_step(const test_points& t) {
  std::map<int, std::vector<int>> by_step;
  for (const refresh_point& p : t.train) by_step[p.step].push_back(p.remaining);
  std::map<int, int> medians;
  for (auto& [step, v] : by_step) medians[step] = median(v);
  std::vector<int> out;
  for (const refresh_point& p : t.points) {
    auto it = medians.upper_bound(p.step);
    out.push_back(it == medians.begin() ? 0 : std::prev(it)->second);
  }
  return out;
}

// `floor`: the best constant per prompt and step, the median of that
// prompt's own test samples still running there (an oracle: it reads the answers).
std::vector<int> predict_floor(const traced_data& d, const test_points& t) {
  std::map<std::pair<std::string, int>, std::vector<int>> groups;
  for (std::size_t i = 0; i < t.points.size(); ++i)
    groups[{d.generations[t.generation[i]].prompt, t.points[i].step}].push_back(t.points[i].remaining);
  std::map<std::pair<std::string, int>, int> medians;
  for (auto& [k, v] : groups) medians[k] = median(v);
  std::vector<int> out;
  for (std::size_t i = 0; i < t.points.size(); ++i)
    out.push_back(medians[{d.generations[t.generation[i]].prompt, t.points[i].step}]);
  return out;
}

std::vector<int> predict_probe(const traced_data& d, const test_points& t, const probe_predictor& p) {
  std::vector<int> out;
  probe_predictor::belief b;
  for (std::size_t i = 0; i < t.points.size(); ++i) {
    if (i == 0 || t.generation[i] != t.generation[i - 1]) b = {};
    p.refresh(b, {d.trace.states(t.row[i]), t.points[i].step, d.prompt_tokens[t.generation[i]]});
    out.push_back(p.remaining(b));
  }
  return out;
}

std::vector<int> predict_prompt_only(const traced_data& d, const test_points& t, length_predictor& p, int limit) {
  std::map<int, int> at_admission;
  std::vector<int> out;
  for (std::size_t i = 0; i < t.points.size(); ++i) {
    const int g = t.generation[i];
    if (!at_admission.count(g)) {
      const example& e = d.generations[g];
      at_admission[g] = p.predict({e.prompt, e.prompt_ids, 0, limit});
    }
    const int step = t.points[i].step;
    out.push_back(std::max(0, sched::estimate_after(at_admission[g], step, limit) - step));
  }
  return out;
}

// The probe of --probe-model, or one fitted to the training rows: made once
// for `probe` and `probe-raw` both.
status_or<probe_predictor> the_probe(const traced_data& d, const eval_context& c,
                                     std::optional<probe_predictor>& made) {
  if (made) return *made;
  auto p = c.f.probe_model.empty() ? fit_probe(d, c.f.fit) : probe_predictor::load(c.f.probe_model);
  if (!p.ok()) return p.error();
  if (p->width() != d.trace.width())
    return status(error_code::invalid_argument, "the probe reads " + std::to_string(p->width()) +
                                                    " floats per row, the trace has " +
                                                    std::to_string(d.trace.width()));
  made = *p;
  return p;
}

status_or<std::vector<int>> predict_named(const std::string& name, const traced_data& d, const test_points& t,
                                          const eval_context& c, std::optional<probe_predictor>& probe) {
  if (name == "step") return predict_step(t);
  if (name == "floor") return predict_floor(d, t);
  if (name == "probe" || name == "probe-raw") {
    auto p = the_probe(d, c, probe);
    if (!p.ok()) return p.error();
    if (name == "probe-raw") p->set_smoothing(0.0);
    return predict_probe(d, t, *p);
  }
  auto p = make_prompt_predictor(name, c);
  if (!p.ok()) return p.error();
  return predict_prompt_only(d, t, **p, c.max_new_tokens);
}

json to_json(const point_scores& s) {
  return {{"n", s.n},
          {"mae", s.mae},
          {"acc50", s.acc50},
          {"acc100", s.acc100},
          {"kendall_tau", s.kendall_tau},
          {"bin_acc4", s.bin_acc4}};
}

json to_json(const refresh_scores& r) {
  json j = to_json(r.admission);
  j["mae_after"] = json::object();
  j["kendall_tau_after"] = json::object();
  j["after"] = json::object();
  for (const auto& [step, s] : r.after) {
    j["mae_after"][std::to_string(step)] = s.mae;
    j["kendall_tau_after"][std::to_string(step)] = s.kendall_tau;
    j["after"][std::to_string(step)] = to_json(s);
  }
  j["mae_all"] = r.mae_all;
  j["mae_last64"] = r.mae_last64;
  j["n_all"] = r.n_all;
  j["n_last64"] = r.n_last64;
  return j;
}

void print_table(const eval_flags& f, const std::vector<refresh_scores>& all) {
  std::printf("%-13s %6s %7s %6s %7s %6s %7s %6s %7s %6s %8s %8s\n", "predictor", "n", "MAE@0", "tau@0", "MAE@16",
              "tau16", "MAE@32", "tau32", "MAE@64", "tau64", "MAE all", "MAE l64");
  for (std::size_t i = 0; i < all.size(); ++i) {
    const refresh_scores& r = all[i];
    auto at = [&](int step) { return r.after.count(step) ? r.after.at(step) : point_scores{}; };
    std::printf("%-13s %6d %7.1f %6.3f %7.1f %6.3f %7.1f %6.3f %7.1f %6.3f %8.1f %8.1f\n", f.predictors[i].c_str(),
                r.n_all, r.admission.mae, r.admission.kendall_tau, at(16).mae, at(16).kendall_tau, at(32).mae,
                at(32).kendall_tau, at(64).mae, at(64).kendall_tau, r.mae_all, r.mae_last64);
  }
}

}  // namespace

status_or<probe_predictor> train_probe(const model& m, const std::string& data, const std::string& trace_path,
                                       const fit_flags& f) {
  auto d = load_traced(m, data, trace_path, f.test_fraction);
  if (!d.ok()) return d.error();
  return fit_probe(*d, f);
}

int run_refresh_eval(const eval_flags& f) {
  auto m = f.model.load();
  if (!m) return 1;
  auto d = load_traced(*m, f.data, f.trace, f.fit.test_fraction);
  if (!d.ok()) return report(d.error());
  const dataset_split split = split_dataset(d->generations, f.fit.test_fraction);
  if (split.train.empty() || split.test.empty())
    return report(status(error_code::invalid_argument, f.data + ": the split leaves a side empty"));
  // probe_examples checks every row against the dataset before anything is scored
  if (auto rows = probe_examples(d->trace, d->lengths, d->prompt_tokens, std::vector<bool>(d->lengths.size()));
      !rows.ok())
    return report(rows.error());
  int limit = f.max_new_tokens;
  for (const example& e : split.train) limit = f.max_new_tokens > 0 ? limit : std::max(limit, e.length);
  const test_points t = points_of(*d);
  const eval_context c{f, m, split, std::max(1, limit)};
  std::vector<refresh_scores> all;
  std::optional<probe_predictor> probe;
  for (const std::string& name : f.predictors) {
    auto predicted = predict_named(name, *d, t, c, probe);
    if (!predicted.ok()) return report(predicted.error());
    all.push_back(score_refresh(t.points, *predicted, t.train));
  }
  if (!f.json) {
    print_table(f, all);
    return 0;
  }
  json out = {{"n", t.points.size()}, {"predictors", json::object()}};
  for (std::size_t i = 0; i < all.size(); ++i) out["predictors"][f.predictors[i]] = to_json(all[i]);
  if (!all.empty()) out.update(to_json(all.front()));
  std::cout << out.dump() << "\n";
  return 0;
}

}  // namespace binserve::tools
