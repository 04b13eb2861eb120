#include "actors/worker_actor.hpp"

#include <algorithm>
#include <iostream>

#include "actors/executor_actor.hpp"

namespace binserve {

namespace {

struct worker_state {
  worker_state() = default;
  worker_params p;
  scheduler_actor coordinator;            // the attached scheduler; null when none
  std::vector<executor_actor> executors;  // alive, of the current or a previous attachment
};

using self_ptr = worker_actor::stateful_pointer<worker_state>;

caf::error refusal(const std::string& why) { return caf::make_error(caf::sec::runtime_error, why); }

caf::result<worker_info> hello(self_ptr self, int protocol, const std::string& fingerprint) {
  const auto& p = self->state.p;
  if (protocol != kWireProtocolVersion)
    return refusal("incompatible build: the worker speaks protocol " + std::to_string(kWireProtocolVersion) +
                   ", the coordinator " + std::to_string(protocol));
  if (fingerprint != p.fingerprint)
    return refusal("different model: the worker serves " + p.model + " (fingerprint " + p.fingerprint +
                   "), the coordinator's model has fingerprint " + fingerprint);
  return worker_info{kWireProtocolVersion, p.fingerprint, p.model, static_cast<int>(p.backends.size())};
}

caf::result<std::vector<executor_actor>> attach(self_ptr self, scheduler_actor& scheduler, intake_actor& intake,
                                                stats_actor& stats, executor_params ep) {
  auto& s = self->state;
  if (!s.executors.empty())
    return refusal("the worker is attached to a coordinator (or its executors are still stopping)");
  const int first = ep.index;
  for (size_t e = 0; e < s.p.backends.size(); ++e) {
    ep.index = first + static_cast<int>(e);
    auto ex = spawn_executor_actor(self->system(), ep, s.p.backends[e], scheduler, intake, stats, nullptr, s.p.probe);
    self->monitor(ex);
    s.executors.push_back(std::move(ex));
  }
  s.coordinator = std::move(scheduler);
  self->monitor(s.coordinator);
  std::cerr << "binserve: worker: attached to a coordinator (" << s.executors.size() << " executors)\n";
  return s.executors;
}

void on_down(self_ptr self, const caf::down_msg& m) {
  auto& s = self->state;
  if (s.coordinator && m.source == s.coordinator.address()) {
    std::cerr << "binserve: worker: coordinator gone (" << caf::to_string(m.reason) << "); stopping its executors\n";
    for (auto& ex : s.executors) self->send_exit(ex, caf::exit_reason::user_shutdown);
    s.coordinator = nullptr;
    return;
  }
  std::erase_if(s.executors, [&](const executor_actor& ex) { return ex.address() == m.source; });
}

worker_actor::behavior_type worker_behavior(self_ptr self, worker_params p) {
  self->state.p = std::move(p);
  self->set_down_handler([self](caf::down_msg& m) { on_down(self, m); });
  self->set_exit_handler([self](caf::exit_msg& m) {  // the node stops: so do its executors
    for (auto& ex : self->state.executors) self->send_exit(ex, m.reason);
    self->quit(m.reason);
  });
  return {
      [self](hello_atom, int protocol, const std::string& fingerprint) { return hello(self, protocol, fingerprint); },
      [self](attach_atom, scheduler_actor& scheduler, intake_actor& intake, stats_actor& stats, executor_params ep) {
        return attach(self, scheduler, intake, stats, ep);
      },
  };
}

}  // namespace

worker_actor spawn_worker_actor(caf::actor_system& sys, worker_params params) {
  return sys.spawn(worker_behavior, std::move(params));
}

}  // namespace binserve
