// binserve loadgen: a load generator for a running binserve server, over
// its TCP protocol (default) or its HTTP API (--protocol http:
// tools/loadgen_http.hpp). TCP: one io thread drives N connections with Boost.Asio; request i
// goes to connection i % N as a `generate` line with id i and target_length
// set to its workload length, so every output has a known length. Every id
// must end with exactly one `done` or `error`: the report counts the lost
// (never answered before --timeout-s after the last submission) and the
// duplicated finals, and the exit code is 1 when either is not zero.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <utility>

#include <boost/asio.hpp>

#include "net/protocol.hpp"
#include "sim/workload.hpp"
#include "tools/commands.hpp"
#include "tools/loadgen_http.hpp"
#include "tools/loadgen_stats.hpp"
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

// The Azure LLM inference trace: TIMESTAMP,ContextTokens,GeneratedTokens.
struct csv_trace {
  std::vector<double> times_s;
  std::vector<int> lengths;
};

bool is_csv(const std::string& path) {
  return path.size() > 4 && path.compare(path.size() - 4, 4, ".csv") == 0;
}

// "2023-11-16 18:15:46.6805900" as seconds since the epoch.
std::optional<double> parse_timestamp(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  double sec = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%d %d:%d:%lf", &y, &mo, &d, &h, &mi, &sec) != 6) return {};
  const std::chrono::year_month_day date{std::chrono::year(y), std::chrono::month(mo), std::chrono::day(d)};
  if (!date.ok()) return {};
  const auto days = std::chrono::sys_days(date).time_since_epoch().count();
  return static_cast<double>(days) * 86400.0 + h * 3600.0 + mi * 60.0 + sec;
}

status_or<csv_trace> load_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return status(error_code::io_error, path + ": cannot open");
  csv_trace t;
  std::string line;
  std::getline(in, line);  // the header
  for (int row = 2; std::getline(in, line); ++row) {
    if (line.empty() || line == "\r") continue;
    const auto c1 = line.find(','), c2 = line.find(',', c1 == std::string::npos ? c1 : c1 + 1);
    const auto when = parse_timestamp(line.substr(0, c1));
    if (c2 == std::string::npos || !when)
      return status(error_code::invalid_argument, path + ": line " + std::to_string(row) +
                                                      ": expected TIMESTAMP,ContextTokens,GeneratedTokens");
    t.times_s.push_back(*when);
    t.lengths.push_back(std::atoi(line.c_str() + c2 + 1));
  }
  if (t.times_s.size() < 2) return status(error_code::invalid_argument, path + ": fewer than 2 rows");
  return t;
}

// Offsets for --arrival: all, poisson:RATE or trace[:SCALE] (the trace's
// inter-arrival gaps, cycled, times SCALE).
status_or<std::vector<double>> make_offsets(const loadgen_flags& f, const csv_trace* trace) {
  std::vector<double> offsets(static_cast<std::size_t>(f.requests), 0.0);
  if (f.arrival == "all") return offsets;
  const auto colon = f.arrival.find(':');
  const std::string kind = f.arrival.substr(0, colon);
  const double value = colon == std::string::npos ? 1.0 : std::atof(f.arrival.c_str() + colon + 1);
  if ((kind != "poisson" && kind != "trace") || value <= 0 || (kind == "poisson" && colon == std::string::npos))
    return status(error_code::invalid_argument, "--arrival: expected all, poisson:RATE or trace[:SCALE] (> 0)");
  if (kind == "trace" && !trace)
    return status(error_code::invalid_argument, "--arrival trace needs a CSV --workload with TIMESTAMPs");
  std::mt19937_64 rng(f.seed);
  std::exponential_distribution<double> gap(value);
  for (std::size_t i = 1; i < offsets.size(); ++i) {
    if (kind == "poisson") {
      offsets[i] = offsets[i - 1] + gap(rng);
      continue;
    }
    const std::size_t k = 1 + (i - 1) % (trace->times_s.size() - 1);
    offsets[i] = offsets[i - 1] + value * std::max(0.0, trace->times_s[k] - trace->times_s[k - 1]);
  }
  return offsets;
}

status_or<loadgen_plan> make_plan(const loadgen_flags& f) {
  loadgen_plan plan;
  std::optional<csv_trace> trace;
  if (is_csv(f.workload)) {
    auto t = load_csv(f.workload);
    if (!t.ok()) return t.error();
    trace = std::move(*t);
    for (int i = 0; i < f.requests; ++i)
      plan.lengths.push_back(std::clamp(trace->lengths[i % trace->lengths.size()], 1, f.max_new_tokens));
  } else {
    workload_options o;
    o.source = f.workload;
    o.length_field = f.length_field;
    o.length_model = o.served_model = f.length_model;
    o.requests = f.requests;
    o.cap = f.max_new_tokens;
    auto w = load_workload(o);
    if (!w.ok()) return w.error();
    for (std::size_t i = 0; i < static_cast<std::size_t>(f.requests); ++i)
      plan.lengths.push_back(w->requests[i % w->requests.size()].length);
  }
  auto offsets = make_offsets(f, trace ? &*trace : nullptr);
  if (!offsets.ok()) return offsets.error();
  plan.offsets_s = std::move(*offsets);
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
      arrival_timer_.async_wait([this](boost::system::error_code ec) { if (!ec) submit_due(); });
      return;
    }
    deadline_timer_.expires_after(std::chrono::duration_cast<loadgen_clock::duration>(
        std::chrono::duration<double>(flags_.timeout_s)));
    deadline_timer_.async_wait([this](boost::system::error_code ec) { if (!ec) io_.stop(); });
    check_finished();
  }

  void submit(int i, loadgen_clock::time_point now) {
    request r;
    r.prompt = "loadgen " + std::to_string(i);
    r.max_new_tokens = flags_.max_new_tokens;
    r.target_length = plan_.lengths[static_cast<std::size_t>(i)];
    connection& c = *conns_[static_cast<std::size_t>(i) % conns_.size()];
    tracker_.submitted(i, now);
    if (c.alive) c.pending += net::encode_generate(static_cast<std::int64_t>(i), r, flags_.stream) + "\n";
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
    progress_timer_.async_wait([this](boost::system::error_code ec) { if (!ec) tick_progress(); });
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
  if (f.json) std::cout << to_json(r).dump() << "\n";
  else std::cout << to_table(r);
  return r.lost > 0 || r.duplicated > 0 ? 1 : 0;
}

}  // namespace

void add_loadgen_command(CLI::App& app) {
  auto f = std::make_shared<loadgen_flags>();
  auto* cmd = app.add_subcommand(
      "loadgen", "Load a running binserve server over TCP or HTTP and check every answer");
  cmd->add_option("--protocol", f->protocol,
                  "tcp (the line protocol, pipelined) or http (POST /v1/completions, one request in flight "
                  "per keep-alive connection; a request whose connection fails counts as lost)")
      ->capture_default_str()->check(CLI::IsMember({"tcp", "http"}));
  cmd->add_option("--host", f->host, "Server host")->capture_default_str();
  cmd->add_option("--port", f->port, "Server TCP or HTTP port")->capture_default_str()->check(CLI::Range(1, 65535));
  cmd->add_option("--connections", f->connections, "Connections")->capture_default_str()->check(CLI::Range(1, 10000));
  cmd->add_option("--requests", f->requests, "Requests in all")->capture_default_str()->check(CLI::Range(1, 100000000));
  cmd->add_option("--workload", f->workload,
                  "Lengths: const:N, a length trace JSON, a prompt dataset or an Azure trace CSV "
                  "(TIMESTAMP,ContextTokens,GeneratedTokens)")->capture_default_str();
  cmd->add_option("--length-field", f->length_field, "Trace JSON: the length field")->capture_default_str();
  cmd->add_option("--length-model", f->length_model, "Prompt datasets: the model whose tokenizer counts lengths");
  cmd->add_option("--arrival", f->arrival,
                  "all (everything at once: pipelined over TCP, as connections free up over HTTP), poisson:RATE (requests/s) or trace[:SCALE] "
                  "(the CSV's inter-arrival times times SCALE)")->capture_default_str();
  cmd->add_option("--max-new-tokens", f->max_new_tokens, "Lengths are clamped to [1, this]")
      ->capture_default_str()->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--seed", f->seed, "Seed of the poisson arrivals")->capture_default_str();
  cmd->add_option("--timeout-s", f->timeout_s, "TCP: wait at most this long after the last submission")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_flag("--stream", f->stream, "Ask for token events / SSE chunks (measures time to first token)");
  cmd->add_flag("--json", f->json, "Print the report as one JSON object (progress goes to a terminal only)");
  cmd->callback([f] {
    if (int rc = run_loadgen(*f); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace binserve::tools
