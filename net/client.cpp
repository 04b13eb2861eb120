#include "binserve/client.hpp"

#include <optional>

#include <boost/asio.hpp>

#include "net/protocol.hpp"

namespace binserve {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr std::size_t kMaxServerLine = 64u << 20;

status io_failure(const std::string& what, const boost::system::error_code& ec) {
  return {error_code::io_error, what + ": " + ec.message()};
}

}  // namespace

struct client::impl {
  asio::io_context io;
  tcp::socket socket{io};
  std::string buffer;  // bytes read past the last line
  std::int64_t next_id = 1;

  status send_line(std::string line) {
    line += '\n';
    boost::system::error_code ec;
    asio::write(socket, asio::buffer(line), ec);
    return ec ? io_failure("send", ec) : status{};
  }

  status_or<net::server_event> read_event() {
    boost::system::error_code ec;
    auto dyn = asio::dynamic_buffer(buffer, kMaxServerLine);
    const std::size_t n = asio::read_until(socket, dyn, '\n', ec);
    if (ec) return io_failure("receive", ec);
    auto event = net::parse_server_line(std::string_view(buffer.data(), n - 1));
    buffer.erase(0, n);
    return event;
  }

  // Reads events until one of type T (or an error); other events are skipped.
  template <class T>
  status_or<T> await() {
    for (;;) {
      auto e = read_event();
      if (!e.ok()) return e.error();
      if (auto* v = std::get_if<T>(&*e)) return std::move(*v);
      if (auto* err = std::get_if<net::error_event>(&*e)) return err->error;
    }
  }

  // Streams `e` to on_token if it is a token of `id`; sets `out` if `e` ends `id`.
  static void consume(const net::server_event& e, const net::client_id& id, std::optional<status_or<result>>& out,
                      const token_callback& on_token) {
    if (const auto* t = std::get_if<net::token_event>(&e); t && t->id == id && on_token)
      on_token(static_cast<request_id>(std::get<std::int64_t>(id)), generated_token{t->index, t->token, t->text, {}});
    if (const auto* d = std::get_if<net::done_event>(&e); d && d->id == id) out = d->res;
    if (const auto* err = std::get_if<net::error_event>(&e);
        err && (err->id == id || std::holds_alternative<std::monostate>(err->id)))
      out = err->error;
  }
};

status_or<client> client::connect(const std::string& host, int port, const std::string& auth_token) {
  auto p = std::make_unique<impl>();
  boost::system::error_code ec;
  tcp::resolver resolver(p->io);
  const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) return io_failure("resolve " + host, ec);
  asio::connect(p->socket, endpoints, ec);
  if (ec) return io_failure("connect to " + host + ":" + std::to_string(port), ec);
  p->socket.set_option(tcp::no_delay(true), ec);
  if (!auth_token.empty())
    if (status s = p->send_line(net::encode_auth(auth_token)); !s.ok()) return s;
  return client(std::move(p));
}

client::client(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
client::client(client&&) noexcept = default;
client& client::operator=(client&&) noexcept = default;
client::~client() = default;

status_or<result> client::generate(const request& r, const token_callback& on_token) {
  const net::client_id id = impl_->next_id++;
  if (status s = impl_->send_line(net::encode_generate({id, r, 0, static_cast<bool>(on_token)})); !s.ok()) return s;
  std::optional<status_or<result>> out;
  while (!out) {
    auto e = impl_->read_event();
    if (!e.ok()) return e.error();
    impl::consume(*e, id, out, on_token);
  }
  if (out->ok()) (*out)->id = static_cast<request_id>(std::get<std::int64_t>(id));
  return std::move(*out);
}

status_or<binserve::stats> client::stats() {
  if (status s = impl_->send_line(R"({"type":"stats"})"); !s.ok()) return s;
  auto e = impl_->await<net::stats_event>();
  if (!e.ok()) return e.error();
  return e->value;
}

status client::ping() {
  if (status s = impl_->send_line(R"({"type":"ping"})"); !s.ok()) return s;
  auto e = impl_->await<net::pong_event>();
  return e.ok() ? status{} : e.error();
}

}  // namespace binserve
