// A small blocking HTTP/1.1 client for the server tests (Beast over
// loopback): requests, whole responses, Server-Sent Events.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

namespace binserve::testing {

namespace http = boost::beast::http;

struct http_reply {
  int status = 0;  // 0: no response (the connection closed or timed out)
  std::string body;
  http::fields headers;
  nlohmann::json j() const { return nlohmann::json::parse(body); }
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? "" : std::string(it->value());
  }
};

// Connects to 127.0.0.1:port, from `source` (a loopback address such as
// 127.0.0.2) when not empty.
boost::asio::ip::tcp::socket connect_to(boost::asio::io_context& io, int port, const std::string& source = "");

// Sends one request; a non-empty token goes in `Authorization: Bearer`.
void send_request(boost::asio::ip::tcp::socket& s, http::verb method, const std::string& target,
                  const std::string& body = "", const std::string& token = "");

// Reads one response (at most `timeout_s` seconds).
http_reply receive_reply(boost::asio::ip::tcp::socket& s, boost::beast::flat_buffer& buf, int timeout_s = 30);

// One request on a fresh connection, its response awaited at most `timeout_s`.
http_reply fetch(int port, http::verb method, const std::string& target, const std::string& body = "",
                 const std::string& token = "", int timeout_s = 30);
http_reply post(int port, const std::string& target, const nlohmann::json& body, int timeout_s = 30);

// The JSON payloads of an SSE body; "[DONE]" becomes the string "[DONE]".
std::vector<nlohmann::json> sse_events(const std::string& body);

}  // namespace binserve::testing
