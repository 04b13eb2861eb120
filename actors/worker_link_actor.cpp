#include "actors/worker_link_actor.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <set>

#include <caf/io/all.hpp>

namespace binserve {

namespace {

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{2000};
constexpr std::chrono::seconds kRequestTimeout{30};

struct link_state {
  link_state() = default;
  worker_link_params p;
  scheduler_actor scheduler;
  intake_actor intake;
  stats_actor stats;
  worker_actor worker;  // null while not attached
  int attaches = 0;     // attachments so far (each gets fresh executor indices)
  std::chrono::milliseconds backoff = kFirstBackoff;
  std::string last_problem;  // printed once until it changes
};

using self_ptr = worker_link_actor::stateful_pointer<link_state>;

std::string name_of(const worker_link_params& p) { return p.host + ":" + std::to_string(p.port); }

// Prints `problem` (once until it changes) and dials again after the backoff.
void retry_later(self_ptr self, const std::string& problem) {
  auto& s = self->state;
  if (problem != s.last_problem) {
    std::cerr << "binserve: worker " << name_of(s.p) << ": " << problem << "; retrying\n";
    self->send(s.stats, node_atom::value, s.p.node, name_of(s.p), false, 0, problem);
  }
  s.last_problem = problem;
  self->delayed_send(self, s.backoff, dial_atom::value);
  s.backoff = std::min(s.backoff * 2, kMaxBackoff);
}

void attach(self_ptr self, const worker_info& info) {
  auto& s = self->state;
  executor_params ep = s.p.each;
  ep.node = s.p.node;
  ep.index = s.p.node * 1000000 + (s.attaches++ % 900) * 1024;
  self->request(s.worker, kRequestTimeout, attach_atom::value, s.scheduler, s.intake, s.stats, ep)
      .then(
          [self, ep, info](std::vector<executor_actor>& executors) {
            auto& st = self->state;
            std::cerr << "binserve: worker " << name_of(st.p) << " joined: " << executors.size() << " executors, model "
                      << info.model << "\n";
            self->send(st.stats, node_atom::value, st.p.node, name_of(st.p), true, static_cast<int>(executors.size()),
                       std::string());
            self->send(st.scheduler, join_atom::value, st.p.node, ep.index, std::move(executors));
            self->monitor(st.worker);
            st.backoff = kFirstBackoff;
            st.last_problem.clear();
          },
          [self](caf::error& e) {
            self->state.worker = nullptr;
            retry_later(self, "attach failed: " + error_text(e));
          });
}

void hello(self_ptr self) {
  auto& s = self->state;
  self->request(s.worker, kRequestTimeout, hello_atom::value, kWireProtocolVersion, s.p.fingerprint)
      .then([self](worker_info& info) { attach(self, info); },
            [self](caf::error& e) {
              self->state.worker = nullptr;
              retry_later(self, "refused: " + error_text(e));
            });
}

void on_connected(self_ptr self, caf::strong_actor_ptr& ptr, const std::set<std::string>& ifs) {
  if (!ptr) return retry_later(self, "no actor published there");
  if (!self->system().assignable<worker_actor>(ifs))
    return retry_later(self,
                       "incompatible build: its worker interface differs from this "
                       "coordinator's (protocol " +
                           std::to_string(kWireProtocolVersion) + ")");
  self->state.worker = caf::actor_cast<worker_actor>(ptr);
  hello(self);
}

void dial(self_ptr self) {
  auto& s = self->state;
  if (s.worker) return;  // attached meanwhile
  auto mm = self->system().middleman().actor_handle();
  self->request(mm, kRequestTimeout, caf::connect_atom::value, s.p.host, static_cast<std::uint16_t>(s.p.port))
      .then([self](const caf::node_id&, caf::strong_actor_ptr& ptr,
                   const std::set<std::string>& ifs) { on_connected(self, ptr, ifs); },
            [self](caf::error& e) { retry_later(self, "cannot connect: " + error_text(e)); });
}

worker_link_actor::behavior_type link_behavior(self_ptr self, worker_link_params p, scheduler_actor scheduler,
                                               intake_actor intake, stats_actor stats) {
  auto& s = self->state;
  s.p = std::move(p);
  s.scheduler = std::move(scheduler);
  s.intake = std::move(intake);
  s.stats = std::move(stats);
  self->send(s.stats, node_atom::value, s.p.node, name_of(s.p), false, 0, std::string("not connected yet"));
  self->set_down_handler([self](caf::down_msg& m) {
    auto& st = self->state;
    if (!st.worker || m.source != st.worker.address()) return;
    st.worker = nullptr;
    retry_later(self, "lost (" + error_text(m.reason) + ")");
  });
  self->send(self, dial_atom::value);
  return {[self](dial_atom) { dial(self); }};
}

}  // namespace

worker_link_actor spawn_worker_link_actor(caf::actor_system& sys, worker_link_params params, scheduler_actor scheduler,
                                          intake_actor intake, stats_actor stats) {
  return sys.spawn(link_behavior, std::move(params), std::move(scheduler), std::move(intake), std::move(stats));
}

}  // namespace binserve
