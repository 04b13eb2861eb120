// One HTTP/1.1 connection of the OpenAI front end (net/http_server.hpp):
// reads requests in turn, routes them, answers; a generation call submits
// one service request per choice and answers with JSON or streams SSE.
// Internal to the HTTP server. Everything here runs on the server's io
// thread; service callbacks reach a session only through the io_gate, by
// weak_ptr.
#pragma once

#include <array>
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "binserve/config.hpp"
#include "binserve/service.hpp"
#include "net/chat_prompt.hpp"
#include "net/openai.hpp"
#include "net/server_core.hpp"
#include "net/stream_text.hpp"

namespace binserve::net {

class http_session;

// What every connection of one server shares (net/server_core.hpp); the
// ledger counts generation calls.
struct http_shared : shared_state<http_session> {
  http_shared(service& s, const server_config& c, std::string m, chat_prompt p, boost::asio::io_context& io)
      : shared_state(s, c, io), model(std::move(m)), chat(std::move(p)) {}

  const std::string model;     // the served model's id
  const chat_prompt chat;      // how chats become prompts
  std::uint64_t requests = 0;  // io thread: HTTP requests read, for x-request-id
};

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(boost::asio::ip::tcp::socket socket, http_shared& shared, connection_id id);

  // Starts reading its first request (within first_request_timeout_ms).
  void start();

  // Closes the connection now (shed, or the server stops); its generation
  // call, if any, is cancelled. Idempotent.
  void close();

  // The drain timed out: a call still in flight ends with an explicit
  // shutting_down error (its service requests cancelled), then the
  // connection closes.
  void cut();

  // Answers a connection that cannot be admitted, without reading from it.
  static void refuse(boost::asio::ip::tcp::socket socket, http_shared& shared, connection_table::verdict why);

 private:
  using tcp = boost::asio::ip::tcp;
  using parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

  // ---- the connection (http_session.cpp) ----
  void read_request(std::chrono::milliseconds deadline);
  void on_header(boost::beast::error_code ec);
  void on_body(boost::beast::error_code ec);
  void route();
  bool authorized() const;
  void established();
  // Queues a whole response; `close` ends the connection after it.
  void reply(int status, std::string body, const std::string& content_type = "application/json",
             const std::vector<std::pair<std::string, std::string>>& headers = {});
  void reply_error(const openai::api_error& e);
  void reply_metrics();
  void reply_final(int status, const std::string& body);  // then Connection: close
  void send(std::string bytes);
  void write_next();
  void after_writes();

  // ---- a generation call (http_call.cpp) ----
  struct choice_state {
    request_id id = 0;  // the service's
    std::vector<std::string> stops;
    stream_text text;             // what its stream has sent
    std::string prefix;           // echo: the prompt's text
    std::size_t token_bytes = 0;  // of its tokens so far (logprobs' text_offset)
    bool started = false;         // its first stream chunk went out
    std::optional<status_or<result>> final;
  };
  struct call_state {
    openai::api_call call;
    openai::response_meta meta;
    std::vector<choice_state> choices;
    int finished = 0;
    bool ended = false;  // answered, failed or cut: later events are ignored
  };
  void start_call(openai::api_call call);
  void submit_choice(std::size_t i);
  void on_token(std::size_t i, const generated_token& t);
  void on_final(std::size_t i, status_or<result> r);
  void start_choice_stream(std::size_t i);
  void finish_choice_stream(std::size_t i, const result& r);
  void answer();
  void fail_call(const openai::api_error& e);
  void end_call();
  void cancel_choices();
  void send_event(const std::string& event);
  void watch_disconnect();
  void client_gone();

  boost::beast::tcp_stream stream_;
  http_shared& st_;
  const connection_id id_;
  const std::string client_;  // the fair-share key of its requests without `user`
  boost::beast::flat_buffer buffer_;
  std::optional<parser> parser_;
  bool established_ = false;  // no longer pending (connection_table)
  bool keep_alive_ = false;   // for the current request
  bool closed_ = false;
  std::string request_id_;  // x-request-id of the current request
  std::deque<std::string> outbox_;
  bool writing_ = false;
  bool close_after_writes_ = false;
  bool sse_started_ = false;  // the SSE headers went out
  std::optional<call_state> call_;
  std::array<char, 256> watch_buf_{};
};

}  // namespace binserve::net
