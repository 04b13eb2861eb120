#include "net/tcp_server.hpp"

#include <array>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio.hpp>

#include "net/protocol.hpp"

namespace binserve::net {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using sys_error = boost::system::error_code;

// Posts work from binserve's threads into the io_context until closed.
class gate {
 public:
  explicit gate(asio::io_context& io) : io_(&io) {}

  void post(std::function<void()> f) noexcept {
    try {
      const std::lock_guard lock(m_);
      if (io_ != nullptr) asio::post(*io_, std::move(f));
    } catch (...) {  // out of memory: the event is lost, the service goes on
    }
  }

  void close() {
    const std::lock_guard lock(m_);
    io_ = nullptr;
  }

 private:
  std::mutex m_;
  asio::io_context* io_;
};

// Answers queued for a client beyond this stop the reading of its requests
// until it has read them down to half: a client that sends without reading
// cannot grow the server's memory without bound.
constexpr std::size_t kOutboxHighWater = 1 << 20;

// What every connection shares; used on the io thread only.
struct server_context {
  service& svc;
  server_config config;
  std::shared_ptr<gate> events;
};

class connection : public std::enable_shared_from_this<connection> {
 public:
  // `client`: the fair-share key of every request it submits (request::client).
  connection(tcp::socket socket, server_context& ctx, std::string client)
      : socket_(std::move(socket)), ctx_(ctx), client_(std::move(client)),
        authed_(ctx.config.auth_token.empty()) {}

  void start() { read_more(); }

  // Answers `why` and closes, without reading (over max_connections).
  void reject(const status& why) {
    close_after_write_ = true;
    send(encode_error({}, why));
  }

  // Cancels the unfinished requests and closes the socket. Idempotent.
  void close() {
    if (closed_) return;
    closed_ = true;
    for (const auto& [id, f] : in_flight_) ctx_.svc.cancel(f.service_id);
    sys_error ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

 private:
  struct in_flight {
    request_id service_id = 0;
    int tokens = 0;  // streamed so far
  };

  void read_more() {
    socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](sys_error ec, std::size_t n) {
      if (ec) return self->close();
      self->on_bytes(std::string_view(self->chunk_.data(), n));
      if (self->closed_ || self->close_after_write_) return;
      if (self->outbox_bytes_ > kOutboxHighWater) self->reading_paused_ = true;
      else self->read_more();
    });
  }

  // Splits `data` into lines; keeps at most max_line_bytes of a line.
  void on_bytes(std::string_view data) {
    const auto max = static_cast<std::size_t>(ctx_.config.max_line_bytes);
    while (!data.empty() && !close_after_write_) {
      const auto nl = data.find('\n');
      const auto part = data.substr(0, nl);
      if (!discarding_ && line_.size() + part.size() > max) {
        discarding_ = true;
        std::string().swap(line_);
        send(encode_error({}, status(error_code::input_too_large,
                                     "line exceeds max_line_bytes (" + std::to_string(max) +
                                         "); discarded up to its end")));
      }
      if (!discarding_) line_.append(part);
      if (nl == std::string_view::npos) return;
      if (!discarding_) on_line(line_);
      line_.clear();
      discarding_ = false;
      data.remove_prefix(nl + 1);
    }
  }

  void on_line(std::string_view line) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;
    auto msg = parse_client_line(line, static_cast<std::size_t>(ctx_.config.max_line_bytes));
    if (!authed_) return authenticate(msg);
    if (!msg.ok()) return send(encode_error({}, msg.error()));
    std::visit([this](auto& m) { handle(m); }, *msg);
  }

  void authenticate(const status_or<client_message>& msg) {
    const auto* auth = msg.ok() ? std::get_if<auth_message>(&*msg) : nullptr;
    if (auth != nullptr && auth->token == ctx_.config.auth_token) {
      authed_ = true;
      return;
    }
    reject(status(error_code::protocol_malformed,
                  "unauthorised: the first line must be {\"type\":\"auth\",\"token\":...}"));
  }

  void handle(generate_message& m) {
    if (in_flight_.contains(m.id))
      return send(encode_error(m.id, status(error_code::invalid_argument,
                                            "id " + id_to_string(m.id) + " is already in flight")));
    if (in_flight_.size() >= static_cast<std::size_t>(ctx_.config.per_connection_in_flight))
      return send(encode_error(m.id, status(error_code::overloaded,
                                            "this connection has per_connection_in_flight (" +
                                                std::to_string(ctx_.config.per_connection_in_flight) +
                                                ") requests unfinished")));
    in_flight_[m.id] = {};
    m.req.client = client_;
    const std::weak_ptr<connection> weak = weak_from_this();
    token_callback on_token;
    if (m.stream)
      on_token = [weak, events = ctx_.events, id = m.id](request_id, const generated_token& t) {
        events->post([weak, id, token = t.id, piece = t.text] {
          if (auto c = weak.lock()) c->on_token(id, token, piece);
        });
      };
    // The final value may arrive on a CAF thread, or at once (a rejection):
    // either way it is posted, so in_flight_[id] exists when it is handled.
    auto on_done = [weak, events = ctx_.events, id = m.id](request_id, status_or<result> r) {
      events->post([weak, id, r = std::move(r)] {
        if (auto c = weak.lock()) c->on_final(id, r);
      });
    };
    in_flight_[m.id].service_id = ctx_.svc.submit(std::move(m.req), std::move(on_token), std::move(on_done));
  }

  void handle(const cancel_message& m) {
    // Unknown ids are ignored: the request may have just finished.
    if (auto it = in_flight_.find(m.id); it != in_flight_.end()) ctx_.svc.cancel(it->second.service_id);
  }

  void handle(const stats_message&) { send(encode_stats(ctx_.svc.current_stats())); }
  void handle(const ping_message&) { send(encode_pong()); }
  void handle(const auth_message&) {}  // already authenticated, or no token configured

  void on_token(const client_id& id, int token, const std::string& piece) {
    auto it = in_flight_.find(id);
    if (it == in_flight_.end()) return;
    send(encode_token(id, it->second.tokens++, token, piece));
  }

  void on_final(const client_id& id, const status_or<result>& r) {
    in_flight_.erase(id);
    send(r.ok() ? encode_done(id, *r) : encode_error(id, r.error()));
  }

  void send(std::string line) {
    if (closed_) return;
    line += '\n';
    outbox_bytes_ += line.size();
    outbox_.push_back(std::move(line));
    if (outbox_.size() == 1) write_next();
  }

  void write_next() {
    asio::async_write(socket_, asio::buffer(outbox_.front()),
                      [self = shared_from_this()](sys_error ec, std::size_t) {
                        if (ec) return self->close();
                        self->outbox_bytes_ -= self->outbox_.front().size();
                        self->outbox_.pop_front();
                        self->resume_reading();
                        if (!self->outbox_.empty()) self->write_next();
                        else if (self->close_after_write_) self->close();
                      });
  }

  void resume_reading() {
    if (!reading_paused_ || outbox_bytes_ > kOutboxHighWater / 2 || closed_) return;
    reading_paused_ = false;
    read_more();
  }

  tcp::socket socket_;
  server_context& ctx_;
  const std::string client_;
  std::array<char, 8192> chunk_{};
  std::string line_;
  bool discarding_ = false;  // dropping the rest of an oversized line
  bool authed_;
  bool closed_ = false;
  bool close_after_write_ = false;
  std::deque<std::string> outbox_;
  std::size_t outbox_bytes_ = 0;
  bool reading_paused_ = false;  // the outbox passed kOutboxHighWater
  std::map<client_id, in_flight> in_flight_;
};

status check_config(const server_config& c) {
  auto bad = [](const std::string& what) { return status(error_code::config_invalid, what); };
  if (c.tcp_port < 0 || c.tcp_port > 65535) return bad("server.tcp_port must be in [0, 65535]");
  if (c.max_line_bytes <= 0) return bad("server.max_line_bytes must be positive");
  if (c.max_connections <= 0) return bad("server.max_connections must be positive");
  if (c.per_connection_in_flight <= 0) return bad("server.per_connection_in_flight must be positive");
  return {};
}

}  // namespace

struct tcp_server::impl {
  impl(service& svc, const server_config& config)
      : events(std::make_shared<gate>(io)), ctx{svc, config, events} {}

  status listen() {
    sys_error ec;
    tcp::resolver resolver(io);
    const auto endpoints = resolver.resolve(ctx.config.host, std::to_string(ctx.config.tcp_port), ec);
    if (ec || endpoints.empty())
      return status(error_code::config_invalid, "server.host \"" + ctx.config.host + "\": " + ec.message());
    const tcp::endpoint ep = endpoints.begin()->endpoint();
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) bound_port = acceptor.local_endpoint(ec).port();
    if (!ec) return {};
    return status(error_code::io_error, "cannot listen on " + ctx.config.host + ":" +
                                            std::to_string(ctx.config.tcp_port) + ": " + ec.message());
  }

  void accept_next() {
    acceptor.async_accept([this](sys_error ec, tcp::socket socket) {
      if (!acceptor.is_open()) return;
      if (!ec) on_accept(std::move(socket));
      accept_next();
    });
  }

  void on_accept(tcp::socket socket) {
    std::erase_if(connections, [](const std::weak_ptr<connection>& c) { return c.expired(); });
    auto c = std::make_shared<connection>(std::move(socket), ctx, "tcp:" + std::to_string(++accepted));
    if (connections.size() >= static_cast<std::size_t>(ctx.config.max_connections))
      return c->reject(status(error_code::overloaded, "the server has max_connections clients"));
    connections.push_back(c);
    c->start();
  }

  void close_all() {
    sys_error ec;
    acceptor.close(ec);
    for (const auto& weak : connections)
      if (auto c = weak.lock()) c->close();
  }

  void run_io() {
    for (;;) {
      try {
        io.run();
        return;
      } catch (...) {  // a handler ran out of memory: keep serving the others
      }
    }
  }

  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  tcp::acceptor acceptor{io};
  std::shared_ptr<gate> events;
  server_context ctx;
  std::vector<std::weak_ptr<connection>> connections;
  std::uint64_t accepted = 0;  // connections accepted so far: each one's number
  int bound_port = 0;
  std::thread io_thread;
  bool stopped = false;
};

status_or<std::unique_ptr<tcp_server>> tcp_server::start(service& svc, const server_config& config) {
  if (status s = check_config(config); !s.ok()) return s;
  auto p = std::make_unique<impl>(svc, config);
  if (status s = p->listen(); !s.ok()) return s;
  p->accept_next();
  p->io_thread = std::thread([raw = p.get()] { raw->run_io(); });
  return std::unique_ptr<tcp_server>(new tcp_server(std::move(p)));
}

tcp_server::tcp_server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

tcp_server::~tcp_server() { stop(); }

int tcp_server::port() const { return impl_->bound_port; }

void tcp_server::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->events->close();
  asio::post(impl_->io, [p = impl_.get()] { p->close_all(); });
  impl_->work.reset();
  impl_->io_thread.join();
}

}  // namespace binserve::net
