#include "actors/step_trace.hpp"

#include <nlohmann/json.hpp>

namespace binserve {

status_or<std::shared_ptr<step_trace>> step_trace::open(const std::string& path) {
  std::ofstream out(path, std::ios::app);
  if (!out) return status(error_code::io_error, "step trace " + path + ": cannot open for appending");
  return std::shared_ptr<step_trace>(new step_trace(std::move(out)));
}

void step_trace::write(const step_record& r) {
  const std::string line = nlohmann::json{{"executor", r.executor},
                                          {"live", r.live},
                                          {"context", r.context_tokens},
                                          {"prefill", r.prefill_tokens},
                                          {"seconds", r.seconds}}
                               .dump() +
                           "\n";
  std::lock_guard<std::mutex> lock(mu_);
  out_ << line << std::flush;
}

status_or<std::vector<step_record>> parse_step_trace(std::string_view text, const std::string& origin) {
  std::vector<step_record> out;
  int line_no = 0;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(at, end - at);
    at = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = origin + ":" + std::to_string(line_no) + ": ";
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return status(error_code::invalid_argument, where + "not a JSON object");
    double v[5];
    const char* keys[5] = {"executor", "live", "context", "prefill", "seconds"};
    for (int k = 0; k < 5; ++k) {
      if (!j.contains(keys[k]) || !j[keys[k]].is_number() || j[keys[k]].get<double>() < 0)
        return status(error_code::invalid_argument, where + "expected a non-negative number '" + keys[k] + "'");
      v[k] = j[keys[k]].get<double>();
    }
    out.push_back({static_cast<int>(v[0]), static_cast<std::int64_t>(v[1]), static_cast<std::int64_t>(v[2]),
                   static_cast<std::int64_t>(v[3]), v[4]});
  }
  return out;
}

}  // namespace binserve
