// A generation call on an HTTP connection (net/http_session.hpp): one
// service request per choice; the answer as one JSON object, or streamed as
// Server-Sent Events, choice by choice, then [DONE].
#include <ctime>

#include "net/http_session.hpp"

namespace binserve::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;

std::string chunk(std::string_view data) {
  char size[20];
  const int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return std::string(size, n) + std::string(data) + "\r\n";
}

openai::api_error cut_error() {
  return openai::to_api_error(
      status(error_code::shutting_down, "the server stopped before this request finished (server.drain_timeout_s)"));
}

}  // namespace

void http_session::start_call(openai::api_call call) {
  call_.emplace();
  call_state& c = *call_;
  c.meta = {call.kind, 0, st_.model, static_cast<std::int64_t>(std::time(nullptr))};
  c.choices.resize(call.choices.size());
  for (std::size_t i = 0; i < c.choices.size(); ++i) {
    request& r = call.choices[i];
    if (r.client.empty()) r.client = client_;  // no `user` in the body
    c.choices[i].stops = r.stop;
    c.choices[i].text = stream_text(r.stop);
    if (call.echo) c.choices[i].prefix = r.prompt_ids.empty() ? r.prompt : st_.svc.decode(r.prompt_ids);
  }
  c.call = std::move(call);
  if (c.call.stream) keep_alive_ = false;  // the disconnect watch owns the read side from here
  for (std::size_t i = 0; i < c.choices.size() && call_ && !call_->ended; ++i) submit_choice(i);
  if (call_ && call_->call.stream) watch_disconnect();
}

// Submits choice i; its tokens and final value come back through the gate.
void http_session::submit_choice(std::size_t i) {
  const std::weak_ptr<http_session> weak = weak_from_this();
  const std::shared_ptr<io_gate> gate = st_.gate;
  token_callback on_token;
  if (call_->call.stream)
    on_token = [weak, gate, i](request_id, const generated_token& t) {
      gate->post([weak, i, t] {
        if (auto s = weak.lock()) s->on_token(i, t);
      });
    };
  auto on_done = [weak, gate, i](request_id, status_or<result> r) {
    gate->post([weak, i, r = std::move(r)]() mutable {
      if (auto s = weak.lock()) s->on_final(i, std::move(r));
    });
  };
  const request_id id = st_.svc.submit(call_->call.choices[i], std::move(on_token), std::move(on_done));
  call_->choices[i].id = id;
  if (i == 0) call_->meta.id = id;
}

void http_session::on_token(std::size_t i, const generated_token& t) {
  if (!call_ || call_->ended || closed_) return;
  choice_state& ch = call_->choices[i];
  start_choice_stream(i);
  const std::size_t offset = ch.prefix.size() + ch.token_bytes;
  ch.token_bytes += t.text.size();
  const std::string text = ch.text.push(t.text);
  const bool with_logprobs = call_->call.logprobs && t.logprobs;
  if (text.empty() && !with_logprobs) return;
  send_event(openai::stream_chunk(call_->meta, static_cast<int>(i), text, with_logprobs ? &t : nullptr, offset,
                                  [this](int token) { return st_.svc.token_text(token); }));
}

// The first event of a streamed choice: the SSE headers (once per call),
// its role (chat) and its echoed prompt (completions).
void http_session::start_choice_stream(std::size_t i) {
  choice_state& ch = call_->choices[i];
  if (ch.started) return;
  ch.started = true;
  if (call_->meta.kind == openai::api_kind::chat)
    send_event(openai::stream_role_chunk(call_->meta, static_cast<int>(i)));
  if (!ch.prefix.empty()) send_event(openai::stream_chunk(call_->meta, static_cast<int>(i), ch.prefix, nullptr, 0, {}));
}

void http_session::on_final(std::size_t i, status_or<result> r) {
  if (!call_ || call_->ended || closed_) return;
  if (!r.ok()) return fail_call(openai::to_api_error(r.error(), call_->meta.kind));
  choice_state& ch = call_->choices[i];
  ch.final = std::move(r);
  if (call_->call.stream) finish_choice_stream(i, **ch.final);
  if (++call_->finished == static_cast<int>(call_->choices.size())) answer();
}

void http_session::finish_choice_stream(std::size_t i, const result& r) {
  start_choice_stream(i);
  const std::string rest = call_->choices[i].text.finish(r.text);
  if (!rest.empty()) send_event(openai::stream_chunk(call_->meta, static_cast<int>(i), rest, nullptr, 0, {}));
  send_event(openai::stream_final_chunk(call_->meta, static_cast<int>(i), openai::finish_reason(r)));
}

// Every choice has its result.
void http_session::answer() {
  call_state& c = *call_;
  openai::usage_counts usage;
  std::vector<openai::choice_output> outputs;
  for (std::size_t i = 0; i < c.choices.size(); ++i) {
    const result& r = **c.choices[i].final;
    if (i % c.call.n == 0) usage.prompt_tokens += static_cast<std::int64_t>(r.prompt_ids.size());
    usage.completion_tokens += static_cast<std::int64_t>(r.generated_ids.size());
    outputs.push_back({static_cast<int>(i), &r, c.choices[i].prefix});
  }
  if (c.call.stream) {
    if (c.call.include_usage) send_event(openai::stream_usage_chunk(c.meta, usage));
    return end_call();
  }
  c.ended = true;
  reply(200, openai::response_json(c.meta, outputs, usage, {c.call.logprobs, c.call.return_token_ids},
                                   [this](int token) { return st_.svc.token_text(token); }));
}

// A choice failed: the call fails (its other choices are cancelled). Before
// any streamed byte that is a plain HTTP error, after it an error event.
void http_session::fail_call(const openai::api_error& e) {
  cancel_choices();
  if (!call_->call.stream || !sse_started_) {
    call_->ended = true;
    if (call_->call.stream) close_after_writes_ = true;
    return reply_error(e);
  }
  send_event(openai::stream_error(e));
  end_call();
}

// The stream's last events; the connection closes once they are written.
void http_session::end_call() {
  send_event(std::string(openai::stream_done));
  call_->ended = true;
  close_after_writes_ = true;
  send("0\r\n\r\n");
}

void http_session::cut() {
  if (!closed_ && call_ && !call_->ended) fail_call(cut_error());
}

void http_session::cancel_choices() {
  for (const choice_state& ch : call_->choices)
    if (ch.id != 0 && !ch.final) st_.svc.cancel(ch.id);
}

void http_session::send_event(const std::string& event) {
  if (!sse_started_) {
    sse_started_ = true;
    send(
        "HTTP/1.1 200 OK\r\nServer: binserve\r\nContent-Type: text/event-stream\r\n"
        "Cache-Control: no-cache\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nx-request-id: " +
        request_id_ + "\r\n\r\n");
  }
  send(chunk(event));
}

// Reads (and ignores) what the client sends while its stream runs: an
// error or end of file means it went away.
void http_session::watch_disconnect() {
  stream_.async_read_some(asio::buffer(watch_buf_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (!ec) return self->watch_disconnect();
    if (ec != asio::error::operation_aborted) self->client_gone();
  });
}

void http_session::client_gone() { close(); }

}  // namespace binserve::net
