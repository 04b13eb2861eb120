// The service's metrics in the Prometheus text exposition format (version
// 0.0.4), for GET /metrics: counters, gauges, latency summaries (quantiles
// 0.5, 0.9 and 0.99 with _sum and _count), per-bin and per-node series.
// Pure: stats in, text out.
#pragma once

#include <string>

#include "binserve/stats.hpp"

namespace binserve::net {

// Bins are labelled {bin, lo, hi} with their predicted-length range [lo, hi)
// (hi="+Inf" for the open last one); the retry bin, which holds overflowed
// jobs whatever their prediction, is labelled {bin="retry"} alone, so no two
// series claim the same range.
std::string metrics_text(const stats& s);

}  // namespace binserve::net
