#include "actors/messages.hpp"

namespace binserve {

void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<job>("binserve::job");
  cfg.add_message_type<std::vector<job>>("std::vector<binserve::job>");
  cfg.add_message_type<batch>("binserve::batch");
  cfg.add_message_type<finished>("binserve::finished");
  cfg.add_message_type<request_record>("binserve::request_record");
  cfg.add_message_type<batch_record>("binserve::batch_record");
  cfg.add_message_type<latency_summary>("binserve::latency_summary");
  cfg.add_message_type<bin_summary>("binserve::bin_summary");
  cfg.add_message_type<std::vector<bin_summary>>("std::vector<binserve::bin_summary>");
  cfg.add_message_type<stats>("binserve::stats");
}

}  // namespace binserve
