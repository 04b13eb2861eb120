#include "sim/workload.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "gpu/model.hpp"

namespace binserve::tools {

namespace {

example synthetic(int i, int length) {
  return example{"Request " + std::to_string(i) + ":", {}, length};
}

status_or<workload> load_trace(const workload_options& o) {
  std::ifstream in(o.source);
  if (!in) return status(error_code::io_error, o.source + ": cannot open");
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_array() || j.empty())
    return status(error_code::invalid_argument, o.source + ": expected a JSON array of records");
  workload w;
  for (int i = 0; i < o.requests; ++i) {
    const auto& rec = j[i % j.size()];
    if (!rec.is_object() || !rec.contains(o.length_field) || !rec[o.length_field].is_number_integer())
      return status(error_code::invalid_argument, o.source + ": record " + std::to_string(i % j.size()) +
                                                      " has no integer field '" + o.length_field + "'");
    w.requests.push_back(synthetic(i, std::clamp(rec[o.length_field].get<int>(), 1, o.cap)));
  }
  return w;
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
  return w;
}

}  // namespace

status_or<workload> load_requests(const workload_options& o) {
  if (o.source.rfind("const:", 0) == 0) {
    const int n = std::atoi(o.source.c_str() + 6);
    if (n < 1) return status(error_code::invalid_argument, "const:N needs N >= 1");
    workload w;
    for (int i = 0; i < o.requests; ++i) w.requests.push_back(synthetic(i, std::min(n, o.cap)));
    return w;
  }
  if (is_dataset(o.source)) {
    if (o.length_model.empty())
      return status(error_code::invalid_argument,
                    o.source + ": a prompt dataset needs --length-model (whose tokenizer counts lengths)");
    return load_prompts(o);
  }
  return load_trace(o);
}

status_or<workload> load_workload(const workload_options& o) {
  auto w = load_requests(o);
  if (!w.ok()) return w;
  if (o.arrivals != "offline")
    return status(error_code::invalid_argument, "arrivals '" + o.arrivals + "': only offline so far");
  w->arrival_s.assign(w->requests.size(), 0.0);
  return w;
}

}  // namespace binserve::tools
