#include "net/http_server.hpp"

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "net/openai.hpp"

namespace binserve {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t kBodyLimit = 1 << 20;
constexpr auto kIdleTimeout = std::chrono::seconds(60);
constexpr std::string_view kSseHeader =
    "HTTP/1.1 200 OK\r\nServer: binserve\r\nContent-Type: text/event-stream\r\n"
    "Cache-Control: no-cache\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n";

using result_handler = std::function<void(status_or<result>)>;

// What every connection shares: the service, the settings, and the requests
// in flight (so that stop can cancel them and wait for their final values).
class server_state {
 public:
  server_state(service& svc, const server_config& config, std::string model)
      : svc(svc), config(config), model(std::move(model)) {}

  service& svc;
  const server_config config;
  const std::string model;
  std::atomic<int> connections{0};
  std::atomic<std::uint64_t> accepted{0};  // sessions started so far: each one's number

  // Submits `r`; `done` gets its final value on a binserve thread (or at
  // once, on this one, when the service rejects it). Returns its id.
  request_id submit(request r, token_callback on_token, result_handler done) {
    {
      std::lock_guard lock(mu_);
      ++waiters_;
    }
    auto on_done = [this, done = std::move(done)](request_id id, status_or<result> res) mutable {
      done(std::move(res));
      done = nullptr;  // drop the session before stop() may destroy the io_context
      std::lock_guard guard(mu_);
      if (in_flight_.erase(id) == 0) finished_early_.insert(id);
      if (--waiters_ == 0) idle_.notify_all();
    };
    const request_id id = svc.submit(std::move(r), std::move(on_token), std::move(on_done));
    std::unique_lock lock(mu_);
    if (finished_early_.erase(id) > 0) return id;
    in_flight_.insert(id);
    const bool cancel_now = stopping_;
    lock.unlock();
    if (cancel_now) svc.cancel(id);
    return id;
  }

  // Cancels the requests in flight (and any submitted from now on), then
  // waits until every waiter has delivered its result.
  void drain() {
    std::unique_lock lock(mu_);
    stopping_ = true;
    const std::set<request_id> ids = in_flight_;
    lock.unlock();
    for (request_id id : ids) svc.cancel(id);
    lock.lock();
    idle_.wait(lock, [this] { return waiters_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable idle_;
  std::set<request_id> in_flight_;
  std::set<request_id> finished_early_;  // ended before submit() could record them
  int waiters_ = 0;
  bool stopping_ = false;
};

std::string chunk(std::string_view data) {
  char size[20];
  const int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return std::string(size, n) + std::string(data) + "\r\n";
}

openai::api_error http_error(int status, std::string message, std::string code) {
  return {status, std::move(message), "invalid_request_error", "", std::move(code)};
}

// One client connection: reads requests in turn, answers each (waiting for
// the service off the io thread), streams SSE for `"stream": true`.
class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, server_state& st)
      : stream_(std::move(socket)), st_(st), client_("http:" + std::to_string(++st.accepted)) {
    ++st_.connections;
  }
  ~session() { --st_.connections; }

  void start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_request(); });
  }

 private:
  void read_request() {
    parser_.emplace();
    parser_->body_limit(kBodyLimit);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    stream_.expires_never();
    keep_alive_ = false;
    if (ec == http::error::body_limit)
      return reply_error(http_error(413, "the request body exceeds 1 MiB", "input_too_large"));
    if (ec && ec.category() == beast::http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream)
      return reply_error(http_error(400, "malformed HTTP request: " + ec.message(), "protocol_malformed"));
    if (ec) return close();
    keep_alive_ = parser_->get().keep_alive();
    route();
  }

  void route() {
    const auto& req = parser_->get();
    std::string_view target(req.target().data(), req.target().size());
    target = target.substr(0, target.find('?'));
    const bool get = req.method() == http::verb::get;
    if (target == "/health") return get ? reply(200, openai::health_json()) : wrong_method("GET");
    if (!authorized())
      return reply_error(http_error(401, "missing or invalid bearer token", "invalid_api_key"));
    if (target == "/v1/models") return get ? reply(200, openai::models_json(st_.model)) : wrong_method("GET");
    if (target == "/metrics") {
      if (!get) return wrong_method("GET");
      return reply(200, openai::metrics_text(st_.svc.current_stats()), "text/plain; version=0.0.4");
    }
    const bool chat = target == "/v1/chat/completions";
    if (!chat && target != "/v1/completions")
      return reply_error(http_error(404, "no such endpoint: " + std::string(target), "not_found"));
    if (req.method() != http::verb::post) return wrong_method("POST");
    auto parsed = chat ? openai::parse_chat_completion(req.body()) : openai::parse_completion(req.body());
    if (!parsed.call) return reply_error(parsed.error);
    start_call(std::move(*parsed.call));
  }

  bool authorized() const {
    if (st_.config.auth_token.empty()) return true;
    const auto value = parser_->get()[http::field::authorization];
    return std::string_view(value.data(), value.size()) == "Bearer " + st_.config.auth_token;
  }

  void wrong_method(const char* allowed) {
    reply(405, openai::error_json(http_error(405, std::string("use ") + allowed, "method_not_allowed")),
          "application/json", allowed);
  }

  void reply_error(const openai::api_error& e) { reply(e.http_status, openai::error_json(e)); }

  void reply(int status, std::string body, const char* type = "application/json",
             const char* allow = "") {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
    res->set(http::field::server, "binserve");
    res->set(http::field::content_type, type);
    if (*allow != 0) res->set(http::field::allow, allow);
    res->keep_alive(keep_alive_);
    res->body() = std::move(body);
    res->prepare_payload();
    stream_.expires_after(kIdleTimeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec || res->need_eof()) return self->close();
      self->read_request();
    });
  }

  void start_call(openai::api_call call) {
    meta_ = {call.kind, 0, st_.model, static_cast<std::int64_t>(std::time(nullptr))};
    streaming_ = call.stream;
    if (call.req.client.empty()) call.req.client = client_;  // no `user` in the body
    auto self = shared_from_this();
    auto ex = stream_.get_executor();
    token_callback on_token;
    if (streaming_) {
      keep_alive_ = false;  // the disconnect watch owns the read side from here
      on_token = [self, ex](request_id, const generated_token& t) {
        asio::post(ex, [self, piece = t.text] { self->on_token(piece); });
      };
    }
    meta_.id = st_.submit(std::move(call.req), std::move(on_token), [self, ex](status_or<result> r) {
      asio::post(ex, [self, r = std::move(r)]() mutable { self->finish(std::move(r)); });
    });
    if (streaming_) watch_disconnect();
  }

  void finish(status_or<result> r) {
    if (!streaming_) {
      if (!r.ok()) return reply_error(openai::to_api_error(r.error()));
      return reply(200, openai::response_json(meta_, *r));
    }
    if (closed_) return;
    if (!r.ok() && !headers_sent_) return reply_error(openai::to_api_error(r.error()));
    if (!r.ok()) {
      send_event(openai::stream_error(openai::to_api_error(r.error())));
    } else {
      if (!pending_utf8_.empty()) send_event(openai::stream_chunk(meta_, pending_utf8_));
      send_event(openai::stream_final_chunk(meta_, openai::finish_reason(*r)));
    }
    send_event(std::string(openai::stream_done));
    stream_ended_ = true;
    outbox_.push_back("0\r\n\r\n");
    write_next();
  }

  void on_token(const std::string& piece) {
    if (stream_ended_ || closed_) return;
    pending_utf8_ += piece;
    const std::size_t n = openai::complete_utf8_prefix(pending_utf8_);
    if (n == 0) return;
    send_event(openai::stream_chunk(meta_, std::string_view(pending_utf8_).substr(0, n)));
    pending_utf8_.erase(0, n);
  }

  void send_event(const std::string& event) {
    if (!headers_sent_) outbox_.emplace_back(kSseHeader);
    headers_sent_ = true;
    outbox_.push_back(chunk(event));
    write_next();
  }

  void write_next() {
    if (writing_ || outbox_.empty() || closed_) return;
    writing_ = true;
    asio::async_write(stream_, asio::buffer(outbox_.front()),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->outbox_.pop_front();
                        if (ec) return self->client_gone();
                        if (self->outbox_.empty() && self->stream_ended_) return self->close();
                        self->write_next();
                      });
  }

  // Reads (and ignores) what the client sends while its stream runs: an
  // error or end of file means it went away.
  void watch_disconnect() {
    stream_.async_read_some(asio::buffer(watch_buf_), [self = shared_from_this()](beast::error_code ec,
                                                                                  std::size_t) {
      if (ec) return self->client_gone();
      self->watch_disconnect();
    });
  }

  void client_gone() {
    if (!stream_ended_) st_.svc.cancel(meta_.id);
    close();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  server_state& st_;
  const std::string client_;  // the fair-share key of this connection's requests
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = false;
  bool closed_ = false;
  openai::response_meta meta_;
  bool streaming_ = false;
  bool headers_sent_ = false;
  bool stream_ended_ = false;  // the final events are queued
  bool writing_ = false;
  std::string pending_utf8_;   // streamed bytes that end inside a character
  std::deque<std::string> outbox_;
  std::array<char, 256> watch_buf_{};
};

}  // namespace

struct http_server::impl {
  impl(service& svc, const server_config& config, std::string model)
      : state(svc, config, std::move(model)) {}

  // Declared first, destroyed last: sessions freed with the io_context use it.
  server_state state;
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  tcp::acceptor acceptor{io};
  std::thread thread;
  int port = 0;
  std::atomic<bool> stopped{false};

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec && state.connections < state.config.max_connections)
        std::make_shared<session>(std::move(socket), state)->start();
      accept();  // a refused socket closes as it goes out of scope
    });
  }

  status listen() {
    const auto& c = state.config;
    if (c.http_port < 0 || c.http_port > 65535)
      return {error_code::config_invalid, "http_port must be in [0, 65535]"};
    beast::error_code ec;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(c.host, std::to_string(c.http_port), ec);
    if (ec || endpoints.empty())
      return {error_code::config_invalid, "host '" + c.host + "': " + ec.message()};
    const tcp::endpoint ep = endpoints.begin()->endpoint();
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return {error_code::io_error, "http: cannot listen on " + c.host + ":" + std::to_string(c.http_port) +
                                        ": " + ec.message()};
    port = acceptor.local_endpoint(ec).port();
    return {};
  }
};

status_or<std::unique_ptr<http_server>> http_server::start(service& svc, const server_config& config,
                                                           std::string model_name) {
  auto p = std::make_unique<impl>(svc, config, std::move(model_name));
  if (status s = p->listen(); !s.ok()) return s;
  p->accept();
  p->thread = std::thread([io = &p->io] { io->run(); });
  return std::unique_ptr<http_server>(new http_server(std::move(p)));
}

http_server::http_server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

http_server::~http_server() { stop(); }

int http_server::port() const { return impl_->port; }

void http_server::stop() {
  if (impl_->stopped.exchange(true)) return;
  asio::post(impl_->io, [p = impl_.get()] {
    beast::error_code ec;
    p->acceptor.close(ec);
  });
  impl_->state.drain();
  impl_->guard.reset();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace binserve
