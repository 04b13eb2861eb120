#include "actors/messages.hpp"

namespace binserve {

void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<job>("binserve::job");
  cfg.add_message_type<std::vector<job>>("std::vector<binserve::job>");
  cfg.add_message_type<logit_bias_entry>("binserve::logit_bias_entry");
  cfg.add_message_type<std::vector<logit_bias_entry>>("std::vector<binserve::logit_bias_entry>");
  cfg.add_message_type<token_logprob>("binserve::token_logprob");
  cfg.add_message_type<std::vector<token_logprob>>("std::vector<binserve::token_logprob>");
  cfg.add_message_type<token_logprobs>("binserve::token_logprobs");
  cfg.add_message_type<emitted_token>("binserve::emitted_token");
  cfg.add_message_type<batch>("binserve::batch");
  cfg.add_message_type<finished>("binserve::finished");
  cfg.add_message_type<request_record>("binserve::request_record");
  cfg.add_message_type<batch_record>("binserve::batch_record");
  cfg.add_message_type<latency_summary>("binserve::latency_summary");
  cfg.add_message_type<bin_summary>("binserve::bin_summary");
  cfg.add_message_type<std::vector<bin_summary>>("std::vector<binserve::bin_summary>");
  cfg.add_message_type<node_summary>("binserve::node_summary");
  cfg.add_message_type<std::vector<node_summary>>("std::vector<binserve::node_summary>");
  cfg.add_message_type<stats>("binserve::stats");
  cfg.add_message_type<executor_params>("binserve::executor_params");
  cfg.add_message_type<executor_plan>("binserve::executor_plan");
  cfg.add_message_type<step_report>("binserve::step_report");
  cfg.add_message_type<sched::executor_capacity>("binserve::sched::executor_capacity");
  cfg.add_message_type<worker_info>("binserve::worker_info");
  cfg.add_message_type<std::vector<request_id>>("std::vector<binserve::request_id>");
  cfg.add_message_type<executor_actor>("binserve::executor_actor");
  cfg.add_message_type<std::vector<executor_actor>>("std::vector<binserve::executor_actor>");
  cfg.add_message_type<scheduler_actor>("binserve::scheduler_actor");
  cfg.add_message_type<intake_actor>("binserve::intake_actor");
  cfg.add_message_type<stats_actor>("binserve::stats_actor");
}

std::string error_text(const caf::error& e) {
  const caf::message& context = e.context();
  if (context.match_elements<std::string>()) return context.get_as<std::string>(0);
  return caf::to_string(e);
}

}  // namespace binserve
