// An HTTP connection: reading, routing and answering requests
// (net/http_session.hpp). Generation calls: net/http_call.cpp.
#include <algorithm>
#include <cctype>
#include <sstream>

#include "net/http_session.hpp"
#include "net/prometheus.hpp"

namespace binserve::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr std::size_t kBodyLimit = 1 << 20;
constexpr std::size_t kMaxRequestIdBytes = 200;

openai::api_error http_error(int status, std::string message, std::string code, std::string type = {}) {
  openai::api_error e{status, std::move(message), "invalid_request_error", "", std::move(code)};
  if (!type.empty()) e.type = std::move(type);
  return e;
}

std::string lower_trimmed(std::string_view v) {
  const auto b = v.find_first_not_of(" \t");
  const auto e = v.find_last_not_of(" \t");
  std::string out(b == std::string_view::npos ? "" : v.substr(b, e - b + 1));
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// RFC 9112 6.1 and 6.3: a request body is framed by exactly `chunked` or by
// Content-Length, never both; any other transfer coding is refused rather
// than guessed at (a guess is how requests get smuggled).
std::string framing_error(const http::request_parser<http::string_body>::value_type& req) {
  const auto te = req.find(http::field::transfer_encoding);
  if (te == req.end()) return {};
  if (lower_trimmed(std::string_view(te->value().data(), te->value().size())) != "chunked")
    return "Transfer-Encoding must be exactly \"chunked\"";
  if (req.count(http::field::transfer_encoding) > 1) return "Transfer-Encoding must appear once";
  if (req.find(http::field::content_length) != req.end())
    return "a request must not have both Transfer-Encoding and Content-Length";
  return {};
}

// The client's x-request-id when it is short printable ASCII, else ours.
std::string request_id_of(std::string_view given, std::uint64_t n) {
  const bool usable = !given.empty() && given.size() <= kMaxRequestIdBytes &&
                      std::all_of(given.begin(), given.end(), [](char c) { return c > 32 && c < 127; });
  return usable ? std::string(given) : "binserve-" + std::to_string(n);
}

// Constant-time equality, so a token cannot be guessed byte by byte.
bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) diff |= a[i] ^ b[i];
  return diff == 0;
}

}  // namespace

void http_session::refuse(tcp::socket socket, http_shared&, connection_table::verdict why) {
  const bool address = why == connection_table::verdict::address_full;
  const int status = address ? 429 : 503;
  const std::string body =
      openai::error_json({status,
                          address ? "this address has server.max_connections_per_address connections open"
                                  : "the server has server.max_connections connections open",
                          address ? "rate_limit_error" : "server_error", "", "overloaded"});
  auto text = std::make_shared<std::string>(
      "HTTP/1.1 " + std::to_string(status) + (address ? " Too Many Requests" : " Service Unavailable") +
      "\r\nServer: binserve\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  auto s = std::make_shared<tcp::socket>(std::move(socket));
  asio::async_write(*s, asio::buffer(*text), [s, text](beast::error_code, std::size_t) {
    beast::error_code ec;
    s->shutdown(tcp::socket::shutdown_both, ec);
    s->close(ec);
  });
}

http_session::http_session(tcp::socket socket, http_shared& shared, connection_id id)
    : stream_(std::move(socket)), st_(shared), id_(id), client_("http:" + std::to_string(id)) {}

void http_session::start() { read_request(std::chrono::milliseconds(st_.config.first_request_timeout_ms)); }

// The whole next request must arrive within `deadline` (slow senders and
// idle connections end there); no deadline runs while a call is answered.
void http_session::read_request(std::chrono::milliseconds deadline) {
  if (closed_) return;
  parser_.emplace();
  parser_->body_limit(kBodyLimit);
  stream_.expires_after(deadline);
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void http_session::on_header(beast::error_code ec) {
  keep_alive_ = false;
  if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
      (ec && ec.category() != http::make_error_code(http::error::bad_target).category()))
    return close();
  const auto given = parser_->is_header_done() ? parser_->get()["x-request-id"] : beast::string_view();
  request_id_ = request_id_of(std::string_view(given.data(), given.size()), ++st_.requests);
  if (ec == http::error::body_limit) return on_body(ec);  // a Content-Length over the limit
  if (ec)
    return reply_final(
        400, openai::error_json(http_error(400, "malformed HTTP request: " + ec.message(), "protocol_malformed")));
  if (std::string why = framing_error(parser_->get()); !why.empty())
    return reply_final(400, openai::error_json(http_error(400, why, "protocol_malformed")));
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code e, std::size_t) { self->on_body(e); });
}

void http_session::on_body(beast::error_code ec) {
  stream_.expires_never();
  if (ec == http::error::body_limit)
    return reply_final(413, openai::error_json(http_error(413, "the request body exceeds 1 MiB", "input_too_large")));
  if (ec && ec.category() == http::make_error_code(http::error::bad_target).category() &&
      ec != http::error::end_of_stream)
    return reply_final(
        400, openai::error_json(http_error(400, "malformed HTTP request: " + ec.message(), "protocol_malformed")));
  if (ec) return close();
  keep_alive_ = parser_->get().keep_alive() && !st_.ledger.draining();
  route();
}

bool http_session::authorized() const {
  if (st_.config.auth_token.empty()) return true;
  const auto value = parser_->get()[http::field::authorization];
  const std::string_view v(value.data(), value.size());
  const auto space = v.find(' ');
  if (space == std::string_view::npos || lower_trimmed(v.substr(0, space)) != "bearer") return false;
  return same_secret(v.substr(v.find_first_not_of(' ', space)), st_.config.auth_token);
}

void http_session::established() {
  if (established_) return;
  established_ = true;
  st_.table.established(id_);
}

void http_session::route() {
  const auto& req = parser_->get();
  std::string_view target(req.target().data(), req.target().size());
  target = target.substr(0, target.find('?'));
  const bool get = req.method() == http::verb::get || req.method() == http::verb::head;
  auto wrong_method = [&](const char* allowed) {
    reply(405, openai::error_json(http_error(405, std::string("use ") + allowed, "method_not_allowed")),
          "application/json", {{"Allow", allowed}});
  };
  const bool draining = st_.ledger.draining();
  if (target == "/health") {
    if (!get) return wrong_method("GET, HEAD");
    if (draining) return reply(503, openai::health_json(true), "application/json", {{"Retry-After", "1"}});
    return reply(200, openai::health_json(false));
  }
  if (!authorized())
    return reply(401, openai::error_json(http_error(401, "missing or invalid bearer token", "invalid_api_key")),
                 "application/json", {{"WWW-Authenticate", "Bearer realm=\"binserve\""}});
  established();
  if (target == "/v1/models") return get ? reply(200, openai::models_json(st_.model)) : wrong_method("GET");
  if (target.starts_with("/v1/models/")) {
    if (!get) return wrong_method("GET");
    if (target.substr(11) != st_.model)
      return reply(404, openai::error_json(http_error(404,
                                                      "the model '" + std::string(target.substr(11)) +
                                                          "' does not exist; this server serves '" + st_.model + "'",
                                                      "model_not_found")));
    return reply(200, openai::model_json(st_.model));
  }
  if (target == "/metrics") return get ? reply_metrics() : wrong_method("GET");
  const bool chat = target == "/v1/chat/completions";
  if (!chat && target != "/v1/completions")
    return reply(404, openai::error_json(http_error(404, "no such endpoint: " + std::string(target), "not_found")));
  if (req.method() != http::verb::post) return wrong_method("POST");
  auto parsed = chat ? openai::parse_chat_completion(req.body()) : openai::parse_completion(req.body());
  if (!parsed.call) return reply_error(parsed.error);
  if (!parsed.call->model.empty() && parsed.call->model != st_.model)
    return reply_error(
        http_error(404, "the model '" + parsed.call->model + "' does not exist; this server serves '" + st_.model + "'",
                   "model_not_found"));
  if (!st_.ledger.open())
    return reply_error(
        http_error(503, "the server is shutting down; retry on another replica", "shutting_down", "server_error"));
  if (chat)
    if (status s = st_.chat.apply(*parsed.call); !s.ok()) {
      openai::api_error e = openai::to_api_error(s, openai::api_kind::chat);
      e.param = "messages";
      return reply_error(e);
    }
  start_call(std::move(*parsed.call));
}

// The stats come back on a binserve thread: the io thread never waits.
void http_session::reply_metrics() {
  st_.svc.current_stats([weak = weak_from_this(), gate = st_.gate](status_or<stats> s) {
    gate->post([weak, s = std::move(s)] {
      auto self = weak.lock();
      if (!self) return;
      if (!s.ok()) return self->reply_error(openai::to_api_error(s.error()));
      self->reply(200, metrics_text(*s), "text/plain; version=0.0.4");
    });
  });
}

void http_session::reply_error(const openai::api_error& e) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (e.http_status == 429 || e.http_status == 503) headers.emplace_back("Retry-After", "1");
  reply(e.http_status, openai::error_json(e), "application/json", headers);
}

void http_session::reply_final(int status, const std::string& body) {
  keep_alive_ = false;
  reply(status, body);
}

void http_session::reply(int status, std::string body, const std::string& content_type,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
  http::response<http::string_body> res(static_cast<http::status>(status), 11);
  res.set(http::field::server, "binserve");
  res.set(http::field::content_type, content_type);
  res.set("x-request-id", request_id_);
  for (const auto& [name, value] : headers) res.set(name, value);
  res.keep_alive(keep_alive_);
  res.body() = std::move(body);
  res.prepare_payload();
  if (parser_ && parser_->is_header_done() && parser_->get().method() == http::verb::head) res.body().clear();
  std::ostringstream out;
  out << res;
  if (!keep_alive_) close_after_writes_ = true;
  send(out.str());
}

void http_session::send(std::string bytes) {
  if (closed_) return;
  outbox_.push_back(std::move(bytes));
  write_next();
}

void http_session::write_next() {
  if (writing_ || outbox_.empty() || closed_) return;
  writing_ = true;
  asio::async_write(stream_, asio::buffer(outbox_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      self->writing_ = false;
                      self->outbox_.pop_front();
                      if (ec) return self->client_gone();
                      if (self->outbox_.empty()) return self->after_writes();
                      self->write_next();
                    });
}

// Everything queued is written: the call (if it ended) is delivered; the
// connection reads its next request, or closes.
void http_session::after_writes() {
  if (call_ && call_->ended) {
    call_.reset();
    st_.ledger.close();
  }
  if (call_) return;  // a stream still running
  if (close_after_writes_) return close();
  read_request(std::chrono::seconds(st_.config.idle_timeout_s));
}

void http_session::close() {
  if (closed_) return;
  auto self = shared_from_this();  // the registry may hold the last reference
  closed_ = true;
  if (call_) {
    if (!call_->ended) cancel_choices();
    call_.reset();
    st_.ledger.close();
  }
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
  st_.table.remove(id_);
  st_.connections.erase(id_);
}

}  // namespace binserve::net
