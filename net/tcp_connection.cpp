#include "net/tcp_connection.hpp"

#include "actors/trace_replay.hpp"

namespace binserve::net {

namespace {

namespace asio = boost::asio;

// Answers queued for a client beyond this stop the reading of its requests
// until it has read them down to half: a client that sends without reading
// cannot grow the server's memory without bound.
constexpr std::size_t kOutboxHighWater = 1 << 20;

}  // namespace

tcp_connection::tcp_connection(tcp::socket socket, tcp_shared& shared, connection_id id)
    : socket_(std::move(socket)),
      st_(shared),
      id_(id),
      client_("tcp:" + std::to_string(id)),
      deadline_(socket_.get_executor()),
      authed_(shared.config.auth_token.empty()) {}

void tcp_connection::start() {
  arm_deadline(std::chrono::milliseconds(st_.config.first_request_timeout_ms));
  read_more();
}

void tcp_connection::refuse(tcp::socket socket, tcp_shared& shared, connection_table::verdict why) {
  auto c = std::make_shared<tcp_connection>(std::move(socket), shared, 0);  // not registered: its write keeps it
  c->reject(status(error_code::overloaded, why == connection_table::verdict::address_full
                                               ? "this address has server.max_connections_per_address connections open"
                                               : "the server has server.max_connections connections open"));
}

void tcp_connection::reject(const status& why) {
  close_after_write_ = true;
  send(encode_error({}, why));
}

void tcp_connection::close() {
  if (closed_) return;
  auto self = shared_from_this();  // the registry may hold the last reference
  closed_ = true;
  for (const auto& [id, f] : in_flight_) {
    st_.svc.cancel(f.service_id);
    st_.ledger.close();  // its client is gone: nothing left to deliver
  }
  in_flight_.clear();
  for (outgoing& o : outbox_) {  // kept: a write in progress still reads the front one
    for (int i = 0; i < o.finals; ++i) st_.ledger.close();
    o.finals = 0;
  }
  sys_error ec;
  deadline_.cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  st_.table.remove(id_);
  st_.connections.erase(id_);
}

void tcp_connection::cut() {
  if (closed_) return;
  const status why(error_code::shutting_down,
                   "the server stopped before this request finished (server.drain_timeout_s)");
  for (const auto& [id, f] : in_flight_) {
    st_.svc.cancel(f.service_id);
    send(encode_error(id, why), 1);
  }
  in_flight_.clear();
}

// The deadline: first_request_timeout_ms from accept until the first line,
// then idle_timeout_s whenever nothing is in flight.
void tcp_connection::arm_deadline(std::chrono::milliseconds after) {
  deadline_.expires_after(after);
  deadline_.async_wait([weak = weak_from_this()](const sys_error& ec) {
    if (ec) return;  // re-armed or cancelled
    if (auto self = weak.lock()) self->close();
  });
}

void tcp_connection::update_idle_deadline() {
  if (closed_ || !established_) return;
  if (in_flight_.empty() && outbox_.empty())
    arm_deadline(std::chrono::seconds(st_.config.idle_timeout_s));
  else
    deadline_.cancel();
}

void tcp_connection::established() {
  if (established_) return;
  established_ = true;
  st_.table.established(id_);
}

void tcp_connection::read_more() {
  socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](sys_error ec, std::size_t n) {
    if (ec) return self->close();
    self->on_bytes(std::string_view(self->chunk_.data(), n));
    if (self->closed_ || self->close_after_write_) return;
    if (self->outbox_bytes_ > kOutboxHighWater)
      self->reading_paused_ = true;
    else
      self->read_more();
  });
}

// Splits `data` into lines; keeps at most max_line_bytes of a line.
void tcp_connection::on_bytes(std::string_view data) {
  const auto max = static_cast<std::size_t>(st_.config.max_line_bytes);
  while (!data.empty() && !close_after_write_ && !closed_) {
    const auto nl = data.find('\n');
    const auto part = data.substr(0, nl);
    if (!discarding_ && line_.size() + part.size() > max) {
      discarding_ = true;
      std::string().swap(line_);
      send(encode_error({}, status(error_code::input_too_large, "line exceeds max_line_bytes (" + std::to_string(max) +
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

void tcp_connection::on_line(std::string_view line) {
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;
  auto msg = parse_client_line(line, static_cast<std::size_t>(st_.config.max_line_bytes));
  if (!authed_) return authenticate(msg);
  established();
  if (!msg.ok())
    send(encode_error({}, msg.error()));
  else
    std::visit([this](auto& m) { handle(m); }, *msg);
  update_idle_deadline();
}

void tcp_connection::authenticate(const status_or<client_message>& msg) {
  const auto* auth = msg.ok() ? std::get_if<auth_message>(&*msg) : nullptr;
  if (auth != nullptr && auth->token == st_.config.auth_token) {
    authed_ = true;
    established();
    return update_idle_deadline();
  }
  reject(
      status(error_code::protocol_malformed, "unauthorised: the first line must be {\"type\":\"auth\",\"token\":...}"));
}

void tcp_connection::handle(generate_message& m) {
  if (in_flight_.contains(m.id))
    return send(
        encode_error(m.id, status(error_code::invalid_argument, "id " + id_to_string(m.id) + " is already in flight")));
  if (in_flight_.size() >= static_cast<std::size_t>(st_.config.per_connection_in_flight))
    return send(
        encode_error(m.id, status(error_code::overloaded, "this connection has per_connection_in_flight (" +
                                                              std::to_string(st_.config.per_connection_in_flight) +
                                                              ") requests unfinished")));
  if (!st_.ledger.open())
    return send(
        encode_error(m.id, status(error_code::shutting_down, "the server is shutting down; retry on another replica")));
  in_flight_[m.id] = {};
  m.req.client = client_;
  const std::weak_ptr<tcp_connection> weak = weak_from_this();
  token_callback on_token;
  if (m.stream)
    on_token = [weak, gate = st_.gate, id = m.id](request_id, const generated_token& t) {
      gate->post([weak, id, t] {
        if (auto c = weak.lock()) c->on_token(id, t);
      });
    };
  // The final value may arrive on a CAF thread, or at once (a rejection):
  // either way it is posted, so in_flight_[id] exists when it is handled.
  auto on_done = [weak, gate = st_.gate, id = m.id](request_id, status_or<result> r) {
    gate->post([weak, id, r = std::move(r)] {
      if (auto c = weak.lock()) c->on_final(id, r);
    });
  };
  in_flight_[m.id].service_id = submit_replay(st_.svc, std::move(m.req), {.target_length = m.target_length},
                                              std::move(on_token), std::move(on_done));
}

void tcp_connection::handle(const cancel_message& m) {
  // Unknown ids are ignored: the request may have just finished.
  if (auto it = in_flight_.find(m.id); it != in_flight_.end()) st_.svc.cancel(it->second.service_id);
}

// The stats come back on a binserve thread: the io thread never waits.
void tcp_connection::handle(const stats_message&) {
  st_.svc.current_stats([weak = weak_from_this(), gate = st_.gate](status_or<stats> s) {
    gate->post([weak, s = std::move(s)] {
      if (auto c = weak.lock()) c->send(s.ok() ? encode_stats(*s) : encode_error({}, s.error()));
    });
  });
}
void tcp_connection::handle(const ping_message&) { send(encode_pong()); }
void tcp_connection::handle(const auth_message&) {}  // already authenticated, or no token configured

void tcp_connection::on_token(const client_id& id, const generated_token& t) {
  if (in_flight_.contains(id)) send(encode_token(id, t));
}

void tcp_connection::on_final(const client_id& id, const status_or<result>& r) {
  if (in_flight_.erase(id) == 0) return;  // cut meanwhile: its error went out
  send(r.ok() ? encode_done(id, *r) : encode_error(id, r.error()), 1);
}

// `finals`: final events in `line`, delivered (ledger) once it is written.
void tcp_connection::send(std::string line, int finals) {
  if (closed_) return;
  line += '\n';
  outbox_bytes_ += line.size();
  outbox_.push_back({std::move(line), finals});
  if (outbox_.size() == 1) write_next();
}

void tcp_connection::write_next() {
  asio::async_write(socket_, asio::buffer(outbox_.front().line),
                    [self = shared_from_this()](sys_error ec, std::size_t) {
                      if (ec) return self->close();
                      self->outbox_bytes_ -= self->outbox_.front().line.size();
                      for (int i = 0; i < self->outbox_.front().finals; ++i) self->st_.ledger.close();
                      self->outbox_.pop_front();
                      self->resume_reading();
                      if (!self->outbox_.empty()) return self->write_next();
                      if (self->close_after_write_) return self->close();
                      self->update_idle_deadline();
                    });
}

void tcp_connection::resume_reading() {
  if (!reading_paused_ || outbox_bytes_ > kOutboxHighWater / 2 || closed_) return;
  reading_paused_ = false;
  read_more();
}

}  // namespace binserve::net
