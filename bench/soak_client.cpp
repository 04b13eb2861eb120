#include "bench/soak_client.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>

#include "net/protocol.hpp"

namespace binserve::tools {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using sys_error = boost::system::error_code;
using soak_clock = std::chrono::steady_clock;

enum class req_state : std::uint8_t { unsent, in_flight, finished, abandoned };

// Lines the server must answer with an id-less protocol_malformed error.
constexpr const char* kMalformed[] = {
    "not json at all",
    "[1,2,3]",
    R"({"type":"generate"})",
    R"({"type":"generate","id":"m","prompt":5})",
    R"({"type":"generate","id":"m","prompt":"x","max_tokens":3})",
    R"({"type":"launch","id":1})",
    "{\"type\":\"generate\",\"id\":\"\xff\xfe\",\"prompt\":\"x\"",
    R"({"type":"cancel"})",
};

// One socket of a connection; a reconnect makes a new one, so completions
// of a closed socket's operations find theirs stale and return.
struct link {
  explicit link(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  std::string read_buf, pending, writing;
  bool open = true;
};

struct connection {
  std::shared_ptr<link> sock;
  std::unordered_map<std::int64_t, int> in_flight;          // id -> token events received
  std::vector<std::pair<long long, std::int64_t>> cancels;  // (at event count, id)
  long long events = 0;
  long long rejections_expected = 0;  // id-less errors owed for malformed lines
  bool dead = false;                  // closed by the server: not reconnected
};

class soak_run {
 public:
  explicit soak_run(const soak_options& o)
      : o_(o),
        rng_(o.seed),
        state_(static_cast<std::size_t>(o.requests), req_state::unsent),
        conns_(static_cast<std::size_t>(o.connections)) {}

  status connect_all() {
    sys_error ec;
    endpoints_ = tcp::resolver(io_).resolve(o_.host, std::to_string(o_.port), ec);
    for (auto& c : conns_) {
      if (!ec) c.sock = std::make_shared<link>(io_);
      if (!ec) asio::connect(c.sock->socket, endpoints_, ec);
    }
    if (ec) return status(error_code::io_error, o_.host + ":" + std::to_string(o_.port) + ": " + ec.message());
    return {};
  }

  soak_report run() {
    const auto start = soak_clock::now();
    for (auto& c : conns_) begin(c);
    stop_timer_.expires_after(
        std::chrono::duration_cast<soak_clock::duration>(std::chrono::duration<double>(o_.seconds)));
    stop_timer_.async_wait([this](sys_error ec) {
      if (!ec) stop_submitting();
    });
    io_.run();
    r_.elapsed_s = std::chrono::duration<double>(soak_clock::now() - start).count();
    for (req_state s : state_) r_.lost += s == req_state::in_flight ? 1 : 0;
    for (const auto& c : conns_) r_.missing_rejections += c.rejections_expected;
    r_.accepted = r_.sent - r_.abandoned;
    return r_;
  }

 private:
  // A fresh socket is connected: authenticate, start reading, submit.
  void begin(connection& c) {
    if (!o_.auth_token.empty()) c.sock->pending += net::encode_auth(o_.auth_token) + "\n";
    read(c, c.sock);
    fill(c);
  }

  void reconnect(connection& c) {
    c.sock = std::make_shared<link>(io_);
    asio::async_connect(c.sock->socket, endpoints_, [this, &c, s = c.sock](sys_error ec, const tcp::endpoint&) {
      if (!ec) return begin(c);
      s->open = false;
      c.dead = true;
      ++r_.server_closes;
      check_finished();
    });
  }

  void read(connection& c, const std::shared_ptr<link>& s) {
    asio::async_read_until(s->socket, asio::dynamic_buffer(s->read_buf), '\n',
                           [this, &c, s](sys_error ec, std::size_t) {
                             if (!s->open) return;
                             if (ec) return server_closed(c);
                             std::size_t begin = 0;
                             for (auto end = s->read_buf.find('\n'); end != std::string::npos && s->open;
                                  begin = end + 1, end = s->read_buf.find('\n', begin))
                               on_line(c, std::string_view(s->read_buf).substr(begin, end - begin));
                             if (!s->open) return;
                             s->read_buf.erase(0, begin);
                             read(c, s);
                           });
  }

  void flush(const std::shared_ptr<link>& s) {
    if (!s->open || !s->writing.empty() || s->pending.empty()) return;
    std::swap(s->writing, s->pending);
    asio::async_write(s->socket, asio::buffer(s->writing), [this, s](sys_error, std::size_t) {
      s->writing.clear();
      flush(s);  // a failed write shows up as a read error
    });
  }

  // Submits until the connection has in_flight requests unfinished.
  void fill(connection& c) {
    while (!stopping_ && next_id_ < o_.requests && static_cast<int>(c.in_flight.size()) < o_.in_flight) submit(c);
    if (!stopping_ && next_id_ == o_.requests) stop_submitting();
    flush(c.sock);
  }

  bool chance(double p) { return p > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  void submit(connection& c) {
    std::string& out = c.sock->pending;
    if (chance(o_.malformed_ratio)) send_rejected(c, kMalformed[rng_() % std::size(kMalformed)]);
    if (o_.oversized_line_bytes > 0 && chance(o_.oversized_line_ratio))
      send_rejected(c, std::string(static_cast<std::size_t>(o_.oversized_line_bytes), 'x'));
    const std::int64_t id = next_id_++;
    request r;
    r.max_new_tokens = o_.max_new_tokens;
    r.prompt = "soak request " + std::to_string(id);
    if (chance(o_.oversized_prompt_ratio)) {
      ++r_.oversized_prompts;
      r.prompt.clear();
      for (int i = 0; i < o_.oversized_prompt_words; ++i) r.prompt += " once";
    }
    const bool stream = chance(o_.stream_ratio);
    r_.streamed += stream ? 1 : 0;
    out += net::encode_generate({id, std::move(r), 0, stream}) + "\n";
    state_[static_cast<std::size_t>(id)] = req_state::in_flight;
    c.in_flight[id] = 0;
    ++r_.sent;
    if (chance(o_.cancel_ratio)) c.cancels.emplace_back(c.events + static_cast<long long>(rng_() % 9), id);
    send_due_cancels(c);
  }

  void send_rejected(connection& c, const std::string& line) {
    c.sock->pending += line + "\n";
    ++c.rejections_expected;
    ++r_.malformed_sent;
  }

  void send_due_cancels(connection& c) {
    std::erase_if(c.cancels, [&](const auto& due) {
      if (due.first > c.events) return false;
      c.sock->pending += net::encode_cancel(due.second) + "\n";
      ++r_.cancels_sent;
      return true;
    });
  }

  void on_line(connection& c, std::string_view line) {
    auto ev = net::parse_server_line(line);
    if (!ev.ok()) {
      ++r_.unmatched;
    } else if (const auto* t = std::get_if<net::token_event>(&*ev)) {
      on_token(c, t->id);
    } else if (const auto* d = std::get_if<net::done_event>(&*ev)) {
      on_final(c, d->id, nullptr);
    } else if (const auto* e = std::get_if<net::error_event>(&*ev)) {
      on_final(c, e->id, &e->error);
    }
    ++c.events;
    if (chance(o_.disconnect_ratio)) return disconnect(c);
    send_due_cancels(c);
    fill(c);
  }

  // The request's state when `id` names a request sent on `c`; otherwise
  // counts the event as unmatched and returns nothing.
  std::optional<req_state> lookup(connection& c, const net::client_id& id) {
    const auto* n = std::get_if<std::int64_t>(&id);
    if (n == nullptr || *n < 0 || *n >= next_id_) {
      ++r_.unmatched;
      return std::nullopt;
    }
    const req_state s = state_[static_cast<std::size_t>(*n)];
    if (s == req_state::in_flight && !c.in_flight.contains(*n)) {
      ++r_.unmatched;  // another connection's request
      return std::nullopt;
    }
    return s;
  }

  void on_token(connection& c, const net::client_id& id) {
    const auto s = lookup(c, id);
    if (s == req_state::finished) ++r_.late_tokens;
    if (s == req_state::in_flight) ++c.in_flight[std::get<std::int64_t>(id)];
  }

  void on_final(connection& c, const net::client_id& id, const status* error) {
    if (error != nullptr && std::holds_alternative<std::monostate>(id)) {
      if (c.rejections_expected == 0) return void(++r_.unmatched);
      --c.rejections_expected;
      ++r_.malformed_rejected;
      return;
    }
    const auto s = lookup(c, id);
    if (s == req_state::finished) ++r_.duplicated;
    if (s != req_state::in_flight) return;
    const std::int64_t n = std::get<std::int64_t>(id);
    state_[static_cast<std::size_t>(n)] = req_state::finished;
    c.in_flight.erase(n);
    if (error == nullptr)
      ++r_.done;
    else
      ++r_.errors, ++r_.errors_by_code[to_string(error->code())];
    if (o_.at_warmup && ++finished_ == o_.requests / 10) o_.at_warmup();
    check_finished();
  }

  // The soak closes the connection mid-stream: its unfinished requests are
  // abandoned (the server cancels them), then it reconnects.
  void disconnect(connection& c) {
    ++r_.disconnects;
    close(c);
    for (const auto& [id, tokens] : c.in_flight) state_[static_cast<std::size_t>(id)] = req_state::abandoned;
    r_.abandoned += static_cast<long long>(c.in_flight.size());
    c.in_flight.clear();
    if (stopping_) return check_finished();
    reconnect(c);
  }

  // The server closed it (or it failed): its unfinished requests stay lost.
  void server_closed(connection& c) {
    ++r_.server_closes;
    close(c);
    c.dead = true;
    check_finished();
  }

  void close(connection& c) {
    c.sock->open = false;
    sys_error ec;
    c.sock->socket.close(ec);
    c.cancels.clear();
    c.rejections_expected = 0;
  }

  void stop_submitting() {
    if (stopping_) return;
    stopping_ = true;
    stop_timer_.cancel();
    drain_timer_.expires_after(
        std::chrono::duration_cast<soak_clock::duration>(std::chrono::duration<double>(o_.drain_seconds)));
    drain_timer_.async_wait([this](sys_error ec) {
      if (!ec) io_.stop();
    });
    check_finished();
  }

  void check_finished() {
    if (!stopping_) return;
    for (const auto& c : conns_)
      if (!c.dead && c.sock->open && (!c.in_flight.empty() || c.rejections_expected > 0)) return;
    io_.stop();
  }

  const soak_options& o_;
  std::mt19937_64 rng_;
  asio::io_context io_;
  tcp::resolver::results_type endpoints_;
  asio::steady_timer stop_timer_{io_}, drain_timer_{io_};
  std::vector<req_state> state_;
  std::vector<connection> conns_;
  std::int64_t next_id_ = 0;
  long long finished_ = 0;
  bool stopping_ = false;
  soak_report r_;
};

}  // namespace

status_or<soak_report> run_soak(const soak_options& options) {
  if (options.connections < 1 || options.in_flight < 1 || options.requests < 0)
    return status(error_code::invalid_argument, "soak: connections and in_flight must be >= 1");
  soak_run run(options);
  if (status s = run.connect_all(); !s.ok()) return s;
  return run.run();
}

}  // namespace binserve::tools
