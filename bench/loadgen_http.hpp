// `binserve-bench loadgen --protocol http`: replays a schedule against the
// OpenAI-compatible HTTP front end (POST /v1/completions, docs/http.md).
#pragma once

#include <string>
#include <vector>

#include "bench/loadgen_stats.hpp"

namespace binserve::tools {

struct http_load_options {
  std::string host;
  int port = 0;
  int connections = 1;
  bool stream = false;
};

// Request i asks for max_tokens = lengths[i], sent offsets_s[i] seconds after
// the start (or when a connection frees up, if later). Never throws.
loadgen_report run_http_load(const http_load_options& o, const std::vector<int>& lengths,
                             const std::vector<double>& offsets_s);

}  // namespace binserve::tools
