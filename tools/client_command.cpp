// binserve client: one completion from a running binserve server over TCP.
#include <iostream>

#include "binserve/client.hpp"
#include "net/protocol.hpp"
#include "tools/commands.hpp"
#include "tools/stats_print.hpp"

namespace binserve::tools {

namespace {

struct client_flags {
  std::string host = "127.0.0.1";
  int port = 7070;
  std::string prompt;
  int max_new_tokens = 256;
  bool stream = false;
  bool json = false;
  bool stats = false;
};

int fail(const status& s) {
  std::cerr << "binserve client: " << s.to_string() << "\n";
  return 1;
}

// Prints the server's metrics: summary and node lines, or the protocol's stats line.
int print_server_stats(client& c, bool json) {
  auto s = c.stats();
  if (!s.ok()) return fail(s.error());
  print_stats(std::cout, *s, json);
  return 0;
}

int run_client(const client_flags& f) {
  auto c = client::connect(f.host, f.port);
  if (!c.ok()) return fail(c.error());
  if (f.stats) return print_server_stats(*c, f.json);
  if (f.prompt.empty()) return fail(status(error_code::invalid_argument, "--prompt or --stats is required"));
  request r;
  r.prompt = f.prompt;
  r.max_new_tokens = f.max_new_tokens;
  token_callback print_token;
  if (f.stream && !f.json)
    print_token = [](request_id, const generated_token& t) { std::cout << t.text << std::flush; };
  auto res = c->generate(r, print_token);
  if (!res.ok()) return fail(res.error());
  if (f.json)
    std::cout << net::encode_done(static_cast<std::int64_t>(res->id), *res) << "\n";
  else if (f.stream)
    std::cout << "\n";
  else
    std::cout << res->text << "\n";
  return 0;
}

}  // namespace

void add_client_command(CLI::App& app) {
  auto flags = std::make_shared<client_flags>();
  auto* cmd = app.add_subcommand("client", "Ask a running binserve server for one completion (or its stats)");
  cmd->add_option("--host", flags->host, "Server host")->capture_default_str();
  cmd->add_option("--port", flags->port, "Server TCP port")->capture_default_str();
  cmd->add_option("--prompt", flags->prompt, "Prompt text");
  cmd->add_flag("--stats", flags->stats, "Print the server's metrics instead");
  cmd->add_option("--max-new-tokens", flags->max_new_tokens, "Most tokens to generate")->capture_default_str();
  cmd->add_flag("--stream", flags->stream, "Print tokens as they are generated");
  cmd->add_flag("--json", flags->json, "Print the final result as the protocol's `done` line");
  cmd->callback([flags] {
    const int rc = run_client(*flags);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace binserve::tools
