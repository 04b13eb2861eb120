#include "actors/log.hpp"

#include <memory>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace binserve {

spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> the_logger = [] {
    if (auto registered = spdlog::get("binserve")) return registered;
    auto made = spdlog::stderr_logger_mt("binserve");
    made->set_level(spdlog::level::warn);
    return made;
  }();
  return *the_logger;
}

std::string request_log_line(request_id id, const std::string& client, const status_or<result>& r) {
  const std::string who = fmt::format("request {} client={}", id, client.empty() ? "-" : client);
  if (!r.ok()) return fmt::format("{} error={}", who, r.error().to_string());
  const request_timings& t = r->timings;
  return fmt::format("{} prompt={} output={} stop={} retries={} queue_ms={:.1f} first_token_ms={:.1f} total_ms={:.1f}",
                     who, r->prompt_ids.size(), r->generated_ids.size(), r->stop_reason, r->retries, t.queue_ms,
                     t.first_token_ms, t.total_ms);
}

}  // namespace binserve
