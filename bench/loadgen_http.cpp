// HTTP load: --connections threads, each with one keep-alive HTTP/1.1
// connection (synchronous Beast), take the next request from a shared
// counter, wait for its arrival time, send it and read its whole response.
// Every request gets at most one response by construction (one request in
// flight per connection, read to its end), so `duplicated` stays 0; a
// request whose connection fails before its response is complete is lost.
// Streams end with the server closing the connection: the next request
// opens a new one.
#include "bench/loadgen_http.hpp"

#include <atomic>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

namespace binserve::tools {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

// A finished exchange: HTTP status and body, with when the first body chunk
// came (streams only).
struct http_answer {
  unsigned status = 0;
  std::string body;
  bool keep_alive = false;
  std::optional<loadgen_clock::time_point> first_chunk;
};

// What a 200 body says: generated tokens, or an error code.
struct body_outcome {
  int tokens = 0;
  std::string error;  // empty: completed
};

body_outcome parse_plain(const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("choices") || !j["choices"].is_array() || j["choices"].empty() ||
      !j["choices"][0].contains("text") || !j.contains("usage") || !j["usage"].contains("completion_tokens") ||
      !j["usage"]["completion_tokens"].is_number_integer())
    return {0, "bad_body"};
  return {j["usage"]["completion_tokens"].get<int>(), ""};
}

// SSE: one `data: {chunk}` per token (pieces that end inside a UTF-8
// character join the next, so this may undercount), the final chunk with a
// finish_reason, then `data: [DONE]`.
body_outcome parse_stream(const std::string& body) {
  body_outcome out;
  bool done = false;
  for (std::size_t pos = 0; pos < body.size();) {
    const std::size_t end = std::min(body.find("\n\n", pos), body.size());
    const std::string_view event = std::string_view(body).substr(pos, end - pos);
    pos = end + 2;
    if (event.rfind("data: ", 0) != 0 || done) return {0, "bad_body"};
    const std::string_view data = event.substr(6);
    if (data == "[DONE]") {
      done = true;
      continue;
    }
    const auto j = nlohmann::json::parse(data, nullptr, false);
    if (j.contains("error")) return {0, "stream_error"};
    if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty() || !j["choices"][0].is_object())
      return {0, "bad_body"};
    if (j["choices"][0].value("finish_reason", nlohmann::json()).is_null()) ++out.tokens;
  }
  if (!done) return {0, "bad_body"};
  return out;
}

// ignore_eos (vLLM's extension): exactly max_tokens tokens, so the HTTP
// front end replays a length trace as the TCP one does with target_length.
std::string request_body(int i, int max_tokens, bool stream) {
  return nlohmann::json{{"prompt", "loadgen " + std::to_string(i)},
                        {"max_tokens", max_tokens},
                        {"temperature", 0},
                        {"ignore_eos", true},
                        {"stream", stream}}
      .dump();
}

// Sends one request on `socket` and reads its response; nullopt when the
// connection failed on the way.
std::optional<http_answer> exchange(tcp::socket& socket, beast::flat_buffer& buf, const std::string& host,
                                    const std::string& body) {
  http::request<http::string_body> req{http::verb::post, "/v1/completions", 11};
  req.set(http::field::host, host);
  req.set(http::field::content_type, "application/json");
  req.keep_alive(true);
  req.body() = body;
  req.prepare_payload();
  beast::error_code ec;
  http::write(socket, req, ec);
  if (ec) return std::nullopt;
  http_answer a;
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  auto on_chunk = [&a](std::uint64_t, beast::string_view piece, beast::error_code&) {
    if (!a.first_chunk && !piece.empty()) a.first_chunk = loadgen_clock::now();
    a.body.append(piece.data(), piece.size());
    return piece.size();
  };
  parser.on_chunk_body(on_chunk);
  http::read(socket, buf, parser, ec);
  if (ec) return std::nullopt;
  a.status = parser.get().result_int();
  a.keep_alive = parser.get().keep_alive();
  if (!parser.chunked()) a.body = std::move(parser.get().body());
  return a;
}

class http_load {
 public:
  http_load(const http_load_options& o, const std::vector<int>& lengths, const std::vector<double>& offsets_s)
      : o_(o), lengths_(lengths), offsets_s_(offsets_s), tracker_(static_cast<int>(lengths.size())) {}

  loadgen_report run() {
    start_ = loadgen_clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < o_.connections; ++c) threads.emplace_back([this] { worker(); });
    for (auto& t : threads) t.join();
    return tracker_.report();
  }

 private:
  loadgen_clock::time_point due(std::size_t i) const {
    return start_ + std::chrono::duration_cast<loadgen_clock::duration>(std::chrono::duration<double>(offsets_s_[i]));
  }

  void worker() {
    asio::io_context io;
    tcp::socket socket(io);
    beast::flat_buffer buf;
    for (std::size_t i = next_++; i < lengths_.size(); i = next_++) {
      std::this_thread::sleep_until(due(i));
      record([&] { tracker_.submitted(static_cast<int>(i), loadgen_clock::now()); });
      if (!socket.is_open() && !connect(socket)) continue;  // lost
      buf.clear();
      const auto a = exchange(socket, buf, o_.host, request_body(static_cast<int>(i), lengths_[i], o_.stream));
      if (a) settle(static_cast<long long>(i), *a);
      if (!a || !a->keep_alive) close(socket);
    }
    close(socket);
  }

  bool connect(tcp::socket& socket) {
    beast::error_code ec;
    const auto endpoints = tcp::resolver(socket.get_executor()).resolve(o_.host, std::to_string(o_.port), ec);
    if (!ec) asio::connect(socket, endpoints, ec);
    if (!ec) socket.set_option(tcp::no_delay(true), ec);
    if (ec) close(socket);
    return !ec;
  }

  static void close(tcp::socket& socket) {
    beast::error_code ec;
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }

  void settle(long long i, const http_answer& a) {
    const auto now = loadgen_clock::now();
    if (a.status != 200) return record([&] { tracker_.error(i, now, "http_" + std::to_string(a.status)); });
    const body_outcome b = o_.stream ? parse_stream(a.body) : parse_plain(a.body);
    record([&] {
      if (a.first_chunk) tracker_.token(i, *a.first_chunk);
      if (b.error.empty())
        tracker_.done(i, now, b.tokens);
      else
        tracker_.error(i, now, b.error);
    });
  }

  template <typename F>
  void record(F&& f) {
    std::lock_guard lock(mu_);
    f();
  }

  const http_load_options& o_;
  const std::vector<int>& lengths_;
  const std::vector<double>& offsets_s_;
  loadgen_tracker tracker_;
  std::mutex mu_;
  std::atomic<std::size_t> next_{0};
  loadgen_clock::time_point start_;
};

}  // namespace

loadgen_report run_http_load(const http_load_options& o, const std::vector<int>& lengths,
                             const std::vector<double>& offsets_s) {
  return http_load(o, lengths, offsets_s).run();
}

}  // namespace binserve::tools
