// The HTTP API's feature tests share this: a real service on stories260K
// behind binserve::start_http_server on an ephemeral port (one per test suite),
// helpers that post and check, and readers of streamed answers. Tests run one at a time; nothing here is thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "binserve/service.hpp"
#include "net/http_server.hpp"
#include "tests/net/http_client.hpp"
#include "tests/net/stories.hpp"
#include "tests/test_paths.hpp"

namespace binserve::testing {

inline constexpr const char* kStoriesId = "stories260K";  // the id the server serves it as
inline constexpr const char* kCompletions = "/v1/completions";
inline constexpr const char* kChat = "/v1/chat/completions";

// A test suite's service and server; tests skip when ../shared is absent.
class stories_http_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!has_shared(kStoriesModel)) return;
    svc_ = std::move(service::start(stories_service_config()).value());
    server_config sc;
    sc.http_port = 0;
    server_ = std::move(start_http_server(*svc_, sc, kStoriesId).value());
  }
  static void TearDownTestSuite() {
    server_.reset();
    svc_.reset();
  }
  void SetUp() override { BINSERVE_REQUIRE_SHARED(kStoriesModel); }

  static int port() { return server_->port(); }

  // POSTs `body` to `path` and returns the answer; the test fails unless it
  // is 200 (the answer is then null).
  static nlohmann::json ok(const std::string& path, const nlohmann::json& body) {
    const http_reply r = post(port(), path, body);
    EXPECT_EQ(r.status, 200) << path << " " << body.dump() << " -> " << r.body;
    return r.status == 200 ? r.j() : nlohmann::json();
  }

  // POSTs `body` (which must not be streamed) and returns its error
  // object; the test fails unless the answer has status `status`.
  static nlohmann::json error_of(const std::string& path, const nlohmann::json& body, int status = 400) {
    const http_reply r = post(port(), path, body);
    EXPECT_EQ(r.status, status) << path << " " << body.dump() << " -> " << r.body;
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"] : nlohmann::json();
  }

  // The SSE events of a streamed POST; the test fails unless it is 200.
  static std::vector<nlohmann::json> stream(const std::string& path, nlohmann::json body) {
    body["stream"] = true;
    const http_reply r = post(port(), path, body);
    EXPECT_EQ(r.status, 200) << path << " " << body.dump() << " -> " << r.body;
    return sse_events(r.body);
  }

  // The direct greedy reference (tests/net/stories.hpp).
  static std::string greedy(const std::string& prompt, int max_tokens) { return greedy_text(prompt, max_tokens); }

  inline static std::unique_ptr<service> svc_;
  inline static std::unique_ptr<net::front_end> server_;
};

// Chat messages: one user message of `text`.
inline nlohmann::json chat_messages(const std::string& text) {
  return nlohmann::json::array({{{"role", "user"}, {"content", text}}});
}

// The text each choice index streamed (completions' `text`, chat's
// `delta.content`), concatenated in order.
inline std::map<int, std::string> streamed_texts(const std::vector<nlohmann::json>& events) {
  std::map<int, std::string> out;
  for (const auto& e : events) {
    if (!e.is_object() || !e.contains("choices")) continue;
    for (const auto& c : e["choices"]) {
      std::string& text = out[c["index"].get<int>()];
      if (c.contains("text"))
        text += c["text"].get<std::string>();
      else if (c["delta"].contains("content"))
        text += c["delta"]["content"].get<std::string>();
    }
  }
  return out;
}

// Each choice index's non-null finish_reasons, in order.
inline std::map<int, std::vector<std::string>> finish_reasons(const std::vector<nlohmann::json>& events) {
  std::map<int, std::vector<std::string>> out;
  for (const auto& e : events)
    if (e.is_object() && e.contains("choices"))
      for (const auto& c : e["choices"])
        if (!c["finish_reason"].is_null()) out[c["index"].get<int>()].push_back(c["finish_reason"]);
  return out;
}

}  // namespace binserve::testing
