// binserve-bench soak: many connections that submit, stream, cancel, disconnect
// and reconnect, and send malformed lines and oversized prompts, against a
// running server (--port) or one it starts (--config); checks that every
// accepted request got exactly one final (tools/soak_client.hpp) and reports
// the server's resident memory at start, after warm-up and at the end.
// Exit code 1 when any request was lost or answered twice (or the server
// misbehaved otherwise), 2 on a usage or connection error.
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "bench/commands.hpp"
#include "bench/soak_client.hpp"
#include "bench/soak_server.hpp"

namespace binserve::tools {

namespace {

struct soak_flags {
  soak_options options;
  std::string config;
  pid_t pid = 0;  // --pid: the running server's, for its memory
  bool json = false;
};

struct memory_samples {
  long long start_kib = -1, warm_kib = -1, end_kib = -1;
};

nlohmann::json to_json(const soak_report& r, const memory_samples& m, int server_exit) {
  nlohmann::json j = {{"sent", r.sent},
                      {"accepted", r.accepted},
                      {"abandoned", r.abandoned},
                      {"done", r.done},
                      {"errors", r.errors},
                      {"errors_by_code", r.errors_by_code},
                      {"lost", r.lost},
                      {"duplicated", r.duplicated},
                      {"unmatched", r.unmatched},
                      {"late_tokens", r.late_tokens},
                      {"streamed", r.streamed},
                      {"cancels_sent", r.cancels_sent},
                      {"oversized_prompts", r.oversized_prompts},
                      {"malformed_sent", r.malformed_sent},
                      {"malformed_rejected", r.malformed_rejected},
                      {"missing_rejections", r.missing_rejections},
                      {"disconnects", r.disconnects},
                      {"server_closes", r.server_closes},
                      {"elapsed_s", r.elapsed_s},
                      {"requests_per_s", r.elapsed_s > 0 ? r.sent / r.elapsed_s : 0.0},
                      {"rss_kib", {{"start", m.start_kib}, {"after_warmup", m.warm_kib}, {"end", m.end_kib}}},
                      {"server_exit", server_exit},
                      {"clean", r.clean() && server_exit <= 0}};
  return j;
}

void print_table(const nlohmann::json& j) {
  std::cout << "soak: " << j["sent"] << " requests sent in " << j["elapsed_s"].get<double>() << " s ("
            << j["requests_per_s"].get<double>() << "/s), " << j["accepted"] << " accepted, " << j["abandoned"]
            << " abandoned by " << j["disconnects"] << " disconnects\n"
            << "finals: " << j["done"] << " done, " << j["errors"] << " errors " << j["errors_by_code"].dump()
            << "\nlost " << j["lost"] << ", duplicated " << j["duplicated"] << ", unmatched " << j["unmatched"]
            << ", late tokens " << j["late_tokens"] << ", server closes " << j["server_closes"] << "\n"
            << "streamed " << j["streamed"] << ", cancels " << j["cancels_sent"] << ", oversized prompts "
            << j["oversized_prompts"] << ", malformed lines " << j["malformed_sent"] << " (rejected "
            << j["malformed_rejected"] << ", unanswered " << j["missing_rejections"] << ")\n"
            << "server RSS KiB: start " << j["rss_kib"]["start"] << ", after warm-up " << j["rss_kib"]["after_warmup"]
            << ", end " << j["rss_kib"]["end"] << "\n"
            << (j["clean"].get<bool>() ? "soak: clean\n" : "soak: FAILED\n");
}

int run(soak_flags& f) {
  std::optional<soak_server> child;
  if (!f.config.empty()) {
    auto s = soak_server::spawn(f.config);
    if (!s.ok()) return std::cerr << "binserve-bench soak: " << s.error().to_string() << "\n", 2;
    child.emplace(std::move(*s));
    f.options.port = child->port();
    f.pid = child->pid();
  }
  memory_samples mem;
  if (f.pid > 0) mem.start_kib = resident_kib(f.pid);
  f.options.at_warmup = [&] {
    if (f.pid > 0) mem.warm_kib = resident_kib(f.pid);
  };
  auto r = run_soak(f.options);
  if (f.pid > 0) mem.end_kib = resident_kib(f.pid);
  const int server_exit = child ? child->stop() : -1;
  if (!r.ok()) return std::cerr << "binserve-bench soak: " << r.error().to_string() << "\n", 2;
  const nlohmann::json j = to_json(*r, mem, server_exit);
  if (f.json)
    std::cout << j.dump() << "\n";
  else
    print_table(j);
  return j["clean"].get<bool>() ? 0 : 1;
}

}  // namespace

void add_soak_command(CLI::App& app) {
  auto f = std::make_shared<soak_flags>();
  soak_options& o = f->options;
  CLI::App* cmd = app.add_subcommand(
      "soak", "Soak a server: random cancels, disconnects, malformed lines; every request answered once");
  auto* target = cmd->add_option("--config", f->config, "start `binserve serve --config FILE` and soak it");
  cmd->add_option("--port", o.port, "soak a running server on this port instead")->excludes(target);
  cmd->add_option("--host", o.host, "its host")->capture_default_str();
  cmd->add_option("--pid", f->pid, "the running server's pid, to report its memory");
  cmd->add_option("--auth-token", o.auth_token, "the server's auth_token");
  cmd->add_option("--connections", o.connections, "client connections")->capture_default_str();
  cmd->add_option("--in-flight", o.in_flight, "unfinished requests per connection")->capture_default_str();
  cmd->add_option("--requests", o.requests, "requests to send in all")->capture_default_str();
  cmd->add_option("--seconds", o.seconds, "send no new request after this long")->capture_default_str();
  cmd->add_option("--drain-seconds", o.drain_seconds, "then wait this long at most")->capture_default_str();
  cmd->add_option("--max-new-tokens", o.max_new_tokens, "per request")->capture_default_str();
  cmd->add_option("--stream-ratio", o.stream_ratio, "of requests streamed")->capture_default_str();
  cmd->add_option("--cancel-ratio", o.cancel_ratio, "of requests cancelled")->capture_default_str();
  cmd->add_option("--disconnect-ratio", o.disconnect_ratio, "per event: disconnect")->capture_default_str();
  cmd->add_option("--malformed-ratio", o.malformed_ratio, "per request: a malformed line")->capture_default_str();
  cmd->add_option("--oversized-prompt-ratio", o.oversized_prompt_ratio, "of requests")->capture_default_str();
  cmd->add_option("--oversized-prompt-words", o.oversized_prompt_words, "their words")->capture_default_str();
  cmd->add_option("--oversized-line-ratio", o.oversized_line_ratio, "per request")->capture_default_str();
  cmd->add_option("--oversized-line-bytes", o.oversized_line_bytes, "0: none")->capture_default_str();
  cmd->add_option("--seed", o.seed, "random seed")->capture_default_str();
  cmd->add_flag("--json", f->json, "print the report as one JSON object");
  cmd->callback([f] {
    if (int rc = run(*f); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace binserve::tools
