// binserve-bench loadgen: a load generator for a running binserve server, over
// its TCP protocol (default) or its HTTP API (--protocol http:
// tools/loadgen_http.hpp). TCP: one io thread drives N connections with Boost.Asio; request i
// goes to connection i % N as a `generate` line with id i and target_length
// set to its workload length, so every output has a known length. Every id
// must end with exactly one `done` or `error`: the report counts the lost
// (never answered before --timeout-s after the last submission) and the
// duplicated finals, and the exit code is 1 when either is not zero.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <utility>

#include <boost/asio.hpp>

#include "bench/commands.hpp"
#include "bench/loadgen_http.hpp"
#include "bench/loadgen_stats.hpp"
#include "net/protocol.hpp"
#include "sim/workload.hpp"
#include "tools/model_options.hpp"

namespace binserve::tools {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

struct loadgen_flags {
  std::string protocol = "tcp";
  std::string host = "127.0.0.1";
  int port = 7070;
  int connections = 50;
  int requests = 10000;
  std::string workload = "const:16";
  std::string length_field = "L_t0.0";
  std::string length_model;
  std::string arrival = "all";
  int max_new_tokens = 16;
  std::uint64_t seed = 0;
  double timeout_s = 120;
  bool stream = false;
  bool json = false;
};

// What to send: request i asks for lengths[i] tokens, offsets_s[i] seconds
// after the start.
struct loadgen_plan {
  std::vector<int> lengths;
  std::vector<double> offsets_s;
};

// Lengths and offsets from the workload (sim/workload.hpp); `all` is
// loadgen's name for offline arrivals, and a prompt dataset is cycled up to
// --requests.
status_or<loadgen_plan> make_plan(const loadgen_flags& f) {
  workload_options o;
  o.source = f.workload;
  o.length_field = f.length_field;
  o.length_model = o.served_model = f.length_model;
  o.requests = f.requests;
  o.cap = f.max_new_tokens;
  o.seed = f.seed;
  o.arrivals = f.arrival == "all" ? "offline" : f.arrival;
  o.repeat_dataset = true;
  auto w = load_workload(o);
  if (!w.ok()) return w.error();
  loadgen_plan plan;
  for (const example& e : w->requests) plan.lengths.push_back(e.length);
  plan.offsets_s = std::move(w->arrival_s);
  return plan;
}

long long request_index(const net::client_id& id) {
  const auto* n = std::get_if<std::int64_t>(&id);
  return n ? *n : -1;
}

class load_generator {
 public:
  load_generator(const loadgen_flags& f, loadgen_plan plan)
      : flags_(f), plan_(std::move(plan)), tracker_(f.requests), progress_(isatty(STDERR_FILENO)) {}

  // Errors: io_error (the server cannot be reached).
  status connect() {
    boost::system::error_code ec;
    const auto endpoints = tcp::resolver(io_).resolve(flags_.host, std::to_string(flags_.port), ec);
    for (int i = 0; i < flags_.connections && !ec; ++i) {
      auto c = std::make_unique<connection>(io_);
      asio::connect(c->socket, endpoints, ec);
      if (!ec) c->socket.set_option(tcp::no_delay(true), ec);
      conns_.push_back(std::move(c));
    }
    if (ec) return status(error_code::io_error, flags_.host + ":" + std::to_string(flags_.port) + ": " + ec.message());
    alive_ = static_cast<int>(conns_.size());
    return {};
  }

  loadgen_report run() {
    start_ = loadgen_clock::now();
    for (auto& c : conns_) read(*c);
    submit_due();
    if (progress_) tick_progress();
    io_.run();
    if (progress_) std::cerr << progress_line() << "\n";
    return tracker_.report();
  }

 private:
  struct connection {
    explicit connection(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    std::string read_buf, pending, writing;
    bool alive = true;
  };

  int total() const { return flags_.requests; }

  loadgen_clock::time_point due(int i) const {
    return start_ + std::chrono::duration_cast<loadgen_clock::duration>(
                        std::chrono::duration<double>(plan_.offsets_s[static_cast<std::size_t>(i)]));
  }

  // Submits every request whose time has come, then waits for the next one
  // or, after the last, for the answers (at most --timeout-s).
  void submit_due() {
    const auto now = loadgen_clock::now();
    for (; next_ < total() && due(next_) <= now; ++next_) submit(next_, now);
    for (auto& c : conns_) flush(*c);
    if (next_ < total()) {
      arrival_timer_.expires_at(due(next_));
      arrival_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) submit_due();
      });
      return;
    }
    deadline_timer_.expires_after(
        std::chrono::duration_cast<loadgen_clock::duration>(std::chrono::duration<double>(flags_.timeout_s)));
    deadline_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) io_.stop();
    });
    check_finished();
  }

  void submit(int i, loadgen_clock::time_point now) {
    request r;
    r.prompt = "loadgen " + std::to_string(i);
    r.max_new_tokens = flags_.max_new_tokens;
    const int length = plan_.lengths[static_cast<std::size_t>(i)];
    connection& c = *conns_[static_cast<std::size_t>(i) % conns_.size()];
    tracker_.submitted(i, now);
    if (c.alive)
      c.pending += net::encode_generate({static_cast<std::int64_t>(i), std::move(r), length, flags_.stream}) + "\n";
  }

  void flush(connection& c) {
    if (!c.alive || !c.writing.empty() || c.pending.empty()) return;
    std::swap(c.writing, c.pending);
    asio::async_write(c.socket, asio::buffer(c.writing), [this, &c](boost::system::error_code ec, std::size_t) {
      c.writing.clear();
      if (ec) return lose(c);
      flush(c);
    });
  }

  void read(connection& c) {
    asio::async_read_until(c.socket, asio::dynamic_buffer(c.read_buf), '\n',
                           [this, &c](boost::system::error_code ec, std::size_t) {
                             if (ec) return lose(c);
                             std::size_t begin = 0;
                             for (auto end = c.read_buf.find('\n'); end != std::string::npos;
                                  begin = end + 1, end = c.read_buf.find('\n', begin))
                               on_line(std::string_view(c.read_buf).substr(begin, end - begin));
                             c.read_buf.erase(0, begin);
                             read(c);
                           });
  }

  void on_line(std::string_view line) {
    auto ev = net::parse_server_line(line);
    if (!ev.ok()) return tracker_.unmatched();
    const auto now = loadgen_clock::now();
    if (const auto* t = std::get_if<net::token_event>(&*ev)) tracker_.token(request_index(t->id), now);
    if (const auto* d = std::get_if<net::done_event>(&*ev))
      tracker_.done(request_index(d->id), now, static_cast<int>(d->res.generated_ids.size()));
    if (const auto* e = std::get_if<net::error_event>(&*ev))
      tracker_.error(request_index(e->id), now, to_string(e->error.code()));
    check_finished();
  }

  // A connection the server closed (or that failed): its unanswered
  // requests stay lost.
  void lose(connection& c) {
    if (!c.alive) return;
    c.alive = false;
    --alive_;
    check_finished();
  }

  void check_finished() {
    if ((next_ == total() && tracker_.finished() == total()) || alive_ == 0) io_.stop();
  }

  std::string progress_line() const {
    return "\rloadgen: " + std::to_string(tracker_.finished()) + "/" + std::to_string(total()) + " done, " +
           std::to_string(tracker_.failed()) + " errors";
  }

  void tick_progress() {
    std::cerr << progress_line() << std::flush;
    progress_timer_.expires_after(std::chrono::milliseconds(200));
    progress_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) tick_progress();
    });
  }

  const loadgen_flags& flags_;
  loadgen_plan plan_;
  loadgen_tracker tracker_;
  bool progress_;
  asio::io_context io_;
  asio::steady_timer arrival_timer_{io_}, deadline_timer_{io_}, progress_timer_{io_};
  std::vector<std::unique_ptr<connection>> conns_;
  loadgen_clock::time_point start_;
  int next_ = 0;
  int alive_ = 0;
};

status_or<loadgen_report> run_load(const loadgen_flags& f, loadgen_plan plan) {
  if (f.protocol == "http")
    return run_http_load({f.host, f.port, f.connections, f.stream}, plan.lengths, plan.offsets_s);
  load_generator gen(f, std::move(plan));
  if (status s = gen.connect(); !s.ok()) return s;
  return gen.run();
}

int run_loadgen(const loadgen_flags& f) {
  auto plan = make_plan(f);
  if (!plan.ok()) return report(plan.error());
  auto run = run_load(f, std::move(*plan));
  if (!run.ok()) return report(run.error());
  const loadgen_report& r = *run;
  if (f.json)
    std::cout << to_json(r).dump() << "\n";
  else
    std::cout << to_table(r);
  return r.lost > 0 || r.duplicated > 0 ? 1 : 0;
}

}  // namespace

void add_loadgen_command(CLI::App& app) {
  auto f = std::make_shared<loadgen_flags>();
  auto* cmd = app.add_subcommand("loadgen", "Load a running binserve server over TCP or HTTP and check every answer");
  cmd->add_option("--protocol", f->protocol,
                  "tcp (the line protocol, pipelined) or http (POST /v1/completions, one request in flight "
                  "per keep-alive connection; a request whose connection fails counts as lost)")
      ->capture_default_str()
      ->check(CLI::IsMember({"tcp", "http"}));
  cmd->add_option("--host", f->host, "Server host")->capture_default_str();
  cmd->add_option("--port", f->port, "Server TCP or HTTP port")->capture_default_str()->check(CLI::Range(1, 65535));
  cmd->add_option("--connections", f->connections, "Connections")->capture_default_str()->check(CLI::Range(1, 10000));
  cmd->add_option("--requests", f->requests, "Requests in all")->capture_default_str()->check(CLI::Range(1, 100000000));
  cmd->add_option(
         "--workload", f->workload,
         "Lengths: const:N, uniform:A:B, exponential:MEAN, a length trace JSON, a prompt dataset or an Azure trace CSV "
         "(TIMESTAMP,ContextTokens,GeneratedTokens)")
      ->capture_default_str();
  cmd->add_option("--length-field", f->length_field, "Trace JSON: the length field")->capture_default_str();
  cmd->add_option("--length-model", f->length_model, "Prompt datasets: the model whose tokenizer counts lengths");
  cmd->add_option("--arrival", f->arrival,
                  "all or offline (everything at once: pipelined over TCP, as connections free up over HTTP), "
                  "poisson:RATE (requests/s) or trace[:SCALE] "
                  "(the CSV's inter-arrival times times SCALE)")
      ->capture_default_str();
  cmd->add_option("--max-new-tokens", f->max_new_tokens, "Lengths are clamped to [1, this]")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--seed", f->seed, "Seed of synthetic lengths and poisson arrivals")->capture_default_str();
  cmd->add_option("--timeout-s", f->timeout_s, "TCP: wait at most this long after the last submission")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--stream", f->stream, "Ask for token events / SSE chunks (measures time to first token)");
  cmd->add_flag("--json", f->json, "Print the report as one JSON object (progress goes to a terminal only)");
  cmd->callback([f] {
    if (int rc = run_loadgen(*f); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace binserve::tools
