#include "tools/stats_print.hpp"

#include "net/protocol.hpp"

namespace binserve::tools {

void print_stats(std::ostream& out, const stats& s, bool json) {
  if (json) {
    out << net::encode_stats(s) << "\n";
    return;
  }
  out << "server: " << s.completed << " completed, " << s.failed << " failed, " << s.retries
      << " retries, " << s.requeued << " requeued, " << s.tokens_per_s
      << " tokens/s, effective-token ratio " << s.effective_token_ratio << ", latency p50 "
      << s.latency.p50 << " ms, p99 " << s.latency.p99 << " ms\n";
  for (const node_summary& n : s.nodes)  // the cluster: this process and its workers
    out << "node " << n.node << " " << n.name << ": " << (n.connected ? "connected" : "down")
        << ", " << n.executors << " executors, " << n.batches << " batches, "
        << n.computed_slots << " computed slots, " << n.executor_failures << " executor failures"
        << (n.problem.empty() ? "" : " (" + n.problem + ")") << "\n";
}

}  // namespace binserve::tools
