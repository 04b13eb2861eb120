#include "actors/stats_actor.hpp"

#include <chrono>

namespace binserve {

namespace {

struct stats_state {
  stats_state() = default;
  std::unique_ptr<metrics> m;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

stats_actor::behavior_type stats_behavior(stats_actor::stateful_pointer<stats_state> self,
                                          std::vector<bin_summary> bins) {
  self->state.m = std::make_unique<metrics>(std::move(bins));
  metrics& m = *self->state.m;
  return {
      [&m](submit_atom) { m.on_submitted(); },
      [&m](reject_atom) { m.on_rejected(); },
      [&m](retry_atom) { m.on_retry(); },
      [&m](requeue_atom) { m.on_requeue(); },
      [&m](preempt_atom, std::int64_t preemptions, std::int64_t recomputed) {
        m.on_preemptions(preemptions, recomputed);
      },
      [&m](node_atom, int node, const std::string& name, bool connected, int executors, const std::string& problem) {
        m.set_node(node, name, connected, executors, problem);
      },
      [&m](lost_atom, int node) { m.on_executor_lost(node); },
      [&m](const request_record& r) { m.on_request(r); },
      [&m](const batch_record& b) { m.on_batch(b); },
      [&m](depth_atom, int bin, int depth) { m.set_queue_depth(bin, depth); },
      [self, &m](get_atom) {
        const auto elapsed = std::chrono::steady_clock::now() - self->state.start;
        return m.snapshot(std::chrono::duration<double>(elapsed).count());
      },
  };
}

}  // namespace

stats_actor spawn_stats_actor(caf::actor_system& sys, std::vector<bin_summary> bins) {
  return sys.spawn(stats_behavior, std::move(bins));
}

}  // namespace binserve
