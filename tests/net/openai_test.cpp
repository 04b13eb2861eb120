// The OpenAI translation layer: request parsing, errors, response shapes,
// SSE chunks and the Prometheus text.
#include "net/openai.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

namespace binserve::openai {
namespace {

using json = nlohmann::json;

TEST(OpenAiParse, CompletionDefaultsFollowOpenAi) {
  auto p = parse_completion(R"({"model": "m", "prompt": "Once upon a time"})");
  ASSERT_TRUE(p.call) << p.error.message;
  EXPECT_EQ(p.call->kind, api_kind::completion);
  EXPECT_EQ(p.call->req.prompt, "Once upon a time");
  EXPECT_EQ(p.call->req.max_new_tokens, 16);
  EXPECT_FLOAT_EQ(p.call->req.temperature, 1.0f);
  EXPECT_FLOAT_EQ(p.call->req.top_p, 1.0f);
  EXPECT_FALSE(p.call->stream);
}

TEST(OpenAiParse, CompletionReadsEveryField) {
  auto p = parse_completion(
      R"({"prompt": "x", "max_tokens": 5, "temperature": 0, "top_p": 0.5, "seed": 7, "stream": true,
          "stop": null, "n": 1})");
  ASSERT_TRUE(p.call) << p.error.message;
  EXPECT_EQ(p.call->req.max_new_tokens, 5);
  EXPECT_FLOAT_EQ(p.call->req.temperature, 0.0f);
  EXPECT_FLOAT_EQ(p.call->req.top_p, 0.5f);
  EXPECT_EQ(p.call->req.seed, 7u);
  EXPECT_TRUE(p.call->stream);
}

TEST(OpenAiParse, UserIsTheFairnessKeyAndAbsentLeavesItToTheServer) {
  auto with = parse_chat_completion(R"({"messages": [{"role": "user", "content": "hi"}], "user": "alice"})");
  ASSERT_TRUE(with.call) << with.error.message;
  EXPECT_EQ(with.call->req.client, "user:alice");
  auto without = parse_completion(R"({"prompt": "x", "user": null})");
  ASSERT_TRUE(without.call) << without.error.message;
  EXPECT_EQ(without.call->req.client, "");
}

TEST(OpenAiParse, ErrorsNameTheField) {
  const std::map<std::string, std::string> cases = {
      {R"({"max_tokens": 3})", "prompt"},
      {R"({"prompt": ["a", "b"]})", "prompt"},
      {R"({"prompt": "a", "max_tokens": 0})", "max_tokens"},
      {R"({"prompt": "a", "max_tokens": 1.5})", "max_tokens"},
      {R"({"prompt": "a", "temperature": 3})", "temperature"},
      {R"({"prompt": "a", "temperature": "hot"})", "temperature"},
      {R"({"prompt": "a", "top_p": 0})", "top_p"},
      {R"({"prompt": "a", "seed": "x"})", "seed"},
      {R"({"prompt": "a", "stream": 1})", "stream"},
      {R"({"prompt": "a", "stop": ["\n"]})", "stop"},
      {R"({"prompt": "a", "n": 2})", "n"},
      {R"({"prompt": "a", "user": 7})", "user"},
  };
  for (const auto& [body, param] : cases) {
    auto p = parse_completion(body);
    ASSERT_FALSE(p.call) << body;
    EXPECT_EQ(p.error.http_status, 400) << body;
    EXPECT_EQ(p.error.param, param) << body;
    EXPECT_EQ(p.error.type, "invalid_request_error");
    EXPECT_FALSE(p.error.message.empty());
  }
}

TEST(OpenAiParse, BadJsonIsAnError) {
  for (const char* body : {"", "{", "not json", "[1, 2]", "\"s\""}) {
    auto p = parse_completion(body);
    ASSERT_FALSE(p.call) << body;
    EXPECT_EQ(p.error.http_status, 400);
    EXPECT_TRUE(p.error.param.empty());
  }
}

TEST(OpenAiParse, ChatJoinsContents) {
  auto p = parse_chat_completion(
      R"({"messages": [{"role": "system", "content": "Be brief."},
                       {"role": "user", "content": "Once upon a time"}],
          "max_completion_tokens": 9, "temperature": 0})");
  ASSERT_TRUE(p.call) << p.error.message;
  EXPECT_EQ(p.call->kind, api_kind::chat);
  EXPECT_EQ(p.call->req.prompt, "Be brief.\nOnce upon a time");
  EXPECT_EQ(p.call->req.max_new_tokens, 9);
}

TEST(OpenAiParse, ChatRejectsBadMessages) {
  for (const char* body : {R"({})", R"({"messages": []})", R"({"messages": "hi"})",
                           R"({"messages": [{"role": "user"}]})", R"({"messages": [{"content": "x"}]})",
                           R"({"messages": [{"role": "user", "content": 3}]})"}) {
    auto p = parse_chat_completion(body);
    ASSERT_FALSE(p.call) << body;
    EXPECT_EQ(p.error.param, "messages") << body;
  }
}

TEST(OpenAiErrors, StatusCodesAndJson) {
  EXPECT_EQ(http_status_for(error_code::overloaded), 429);
  EXPECT_EQ(http_status_for(error_code::input_too_large), 400);
  EXPECT_EQ(http_status_for(error_code::invalid_argument), 400);
  EXPECT_EQ(http_status_for(error_code::timed_out), 504);
  EXPECT_EQ(http_status_for(error_code::shutting_down), 503);
  EXPECT_EQ(http_status_for(error_code::backend_failure), 500);
  const api_error e = to_api_error(status(error_code::timed_out, "too slow"));
  const json j = json::parse(error_json(e));
  EXPECT_EQ(j["error"]["message"], "too slow");
  EXPECT_EQ(j["error"]["type"], "server_error");
  EXPECT_TRUE(j["error"]["param"].is_null());
  EXPECT_EQ(j["error"]["code"], "timed_out");
  const json bad = json::parse(error_json(parse_completion(R"({"prompt": 1})").error));
  EXPECT_EQ(bad["error"]["param"], "prompt");
  EXPECT_EQ(bad["error"]["type"], "invalid_request_error");
}

result sample_result(const std::string& stop_reason) {
  result r;
  r.text = " there was a cat";
  r.prompt_ids = {1, 2, 3, 4};
  r.generated_ids = {5, 6, 7};
  r.stop_reason = stop_reason;
  return r;
}

TEST(OpenAiResponse, CompletionShape) {
  const json j = json::parse(response_json({api_kind::completion, 42, "stories", 1700000000},
                                           sample_result("stop_token")));
  EXPECT_EQ(j["id"], "cmpl-42");
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["created"], 1700000000);
  EXPECT_EQ(j["model"], "stories");
  ASSERT_EQ(j["choices"].size(), 1u);
  EXPECT_EQ(j["choices"][0]["text"], " there was a cat");
  EXPECT_EQ(j["choices"][0]["index"], 0);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(j["choices"][0]["logprobs"].is_null());
  EXPECT_EQ(j["usage"], json({{"prompt_tokens", 4}, {"completion_tokens", 3}, {"total_tokens", 7}}));
}

TEST(OpenAiResponse, ChatShape) {
  const json j = json::parse(response_json({api_kind::chat, 3, "m", 1}, sample_result("max_new_tokens")));
  EXPECT_EQ(j["id"], "chatcmpl-3");
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["choices"][0]["message"], json({{"role", "assistant"}, {"content", " there was a cat"}}));
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["total_tokens"], 7);
}

json sse_payload(const std::string& event) {
  EXPECT_EQ(event.rfind("data: ", 0), 0u) << event;
  EXPECT_EQ(event.substr(event.size() - 2), "\n\n") << event;
  return json::parse(event.substr(6, event.size() - 8));
}

TEST(OpenAiStream, CompletionChunks) {
  const response_meta m{api_kind::completion, 9, "m", 5};
  const json c = sse_payload(stream_chunk(m, " cat"));
  EXPECT_EQ(c["object"], "text_completion");
  EXPECT_EQ(c["id"], "cmpl-9");
  EXPECT_EQ(c["choices"][0]["text"], " cat");
  EXPECT_TRUE(c["choices"][0]["finish_reason"].is_null());
  const json f = sse_payload(stream_final_chunk(m, "length"));
  EXPECT_EQ(f["choices"][0]["text"], "");
  EXPECT_EQ(f["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(stream_done, "data: [DONE]\n\n");
}

TEST(OpenAiStream, ChatChunksCarryDeltas) {
  const response_meta m{api_kind::chat, 9, "m", 5};
  const json c = sse_payload(stream_chunk(m, "Hi"));
  EXPECT_EQ(c["object"], "chat.completion.chunk");
  EXPECT_EQ(c["choices"][0]["delta"], json({{"content", "Hi"}}));
  const json f = sse_payload(stream_final_chunk(m, "stop"));
  EXPECT_EQ(f["choices"][0]["delta"], json::object());
  EXPECT_EQ(f["choices"][0]["finish_reason"], "stop");
  const json e = sse_payload(stream_error(to_api_error(status(error_code::backend_failure, "boom"))));
  EXPECT_EQ(e["error"]["code"], "backend_failure");
}

TEST(OpenAiStream, InvalidUtf8IsReplacedNotThrown) {
  const json c = sse_payload(stream_chunk({api_kind::completion, 1, "m", 1}, "\xff"));
  EXPECT_FALSE(c["choices"][0]["text"].get<std::string>().empty());
}

TEST(OpenAiStream, Utf8PrefixStopsBeforeASplitCharacter) {
  EXPECT_EQ(complete_utf8_prefix("abc"), 3u);
  EXPECT_EQ(complete_utf8_prefix(""), 0u);
  EXPECT_EQ(complete_utf8_prefix("a\xC3"), 1u);            // first byte of é
  EXPECT_EQ(complete_utf8_prefix("a\xC3\xA9"), 3u);        // é
  EXPECT_EQ(complete_utf8_prefix("\xE2\x82"), 0u);         // 2 of 3 bytes of €
  EXPECT_EQ(complete_utf8_prefix("\xF0\x9F\x98"), 0u);     // 3 of 4 bytes of an emoji
  EXPECT_EQ(complete_utf8_prefix("\xF0\x9F\x98\x80!"), 5u);
}

TEST(OpenAiMisc, ModelsAndHealth) {
  const json m = json::parse(models_json("stories260K"));
  EXPECT_EQ(m["object"], "list");
  EXPECT_EQ(m["data"][0], json({{"id", "stories260K"}, {"object", "model"}, {"owned_by", "binserve"}}));
  EXPECT_EQ(json::parse(health_json()), json({{"status", "ok"}}));
}

}  // namespace

// Checks `text` is Prometheus exposition: every sample line is
// `name{labels} value`, and every sampled metric has HELP and TYPE lines
// before its samples. Returns the samples, keyed by `name{labels}`.
std::map<std::string, double> parse_prometheus(const std::string& text) {
  static const std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_]+="[^"]*"(,[a-zA-Z_]+="[^"]*")*\})? )"
                                 R"(([-+]?[0-9.eE+-]+|NaN|[-+]Inf)$)");
  static const std::regex meta(R"(^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$)");
  std::set<std::string> helped, typed;
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, meta)) {
      (m[1] == "HELP" ? helped : typed).insert(m[2]);
      continue;
    }
    EXPECT_TRUE(std::regex_match(line, m, sample)) << "bad line: " << line;
    if (m.empty()) continue;
    EXPECT_TRUE(helped.count(m[1]) && typed.count(m[1])) << "no HELP/TYPE before " << line;
    const std::string v = m[4];
    out[std::string(m[1]) + std::string(m[2])] = v.find("Inf") != std::string::npos ? 1e300 : std::stod(v);
  }
  return out;
}

namespace {

TEST(OpenAiMetrics, TextParsesAndHasEveryMetric) {
  stats s;
  s.submitted = 10;
  s.completed = 8;
  s.cancelled = 1;
  s.generated_tokens = 300;
  s.effective_token_ratio = 0.75;
  s.latency = {10, 12.5, 20, 31};
  s.bins = {{0, 0, 50, 4, 50, 2, 3, 3.5}, {1, 50, INT_MAX, 4, 512, 0, 1, 1}};
  const std::string text = metrics_text(s);
  const auto samples = parse_prometheus(text);
  for (const char* c : {"submitted", "completed", "failed", "rejected", "cancelled", "timed_out"})
    EXPECT_TRUE(samples.count(std::string("binserve_requests_") + c + "_total")) << c;
  for (const char* c : {"retries", "generated_tokens", "computed_slots"})
    EXPECT_TRUE(samples.count(std::string("binserve_") + c + "_total")) << c;
  for (const char* g : {"effective_token_ratio", "requests_per_second", "tokens_per_second"})
    EXPECT_TRUE(samples.count(std::string("binserve_") + g)) << g;
  EXPECT_EQ(samples.at("binserve_requests_submitted_total"), 10);
  EXPECT_EQ(samples.at("binserve_effective_token_ratio"), 0.75);
  EXPECT_EQ(samples.at(R"(binserve_request_latency_ms{quantile="0.5"})"), 12.5);
  EXPECT_TRUE(samples.count(R"(binserve_first_token_latency_ms{quantile="0.99"})"));
  EXPECT_TRUE(samples.count(R"(binserve_queue_latency_ms{quantile="0.9"})"));
  EXPECT_EQ(samples.at(R"(binserve_bin_queue_depth{bin="0",lo="0",hi="50"})"), 2);
  EXPECT_EQ(samples.at(R"(binserve_bin_batches_total{bin="1",lo="50",hi="+Inf"})"), 1);
  EXPECT_EQ(samples.at(R"(binserve_bin_mean_batch_size{bin="0",lo="0",hi="50"})"), 3.5);
  EXPECT_NE(text.find("# TYPE binserve_requests_submitted_total counter"), std::string::npos);
  EXPECT_NE(text.find("# TYPE binserve_request_latency_ms summary"), std::string::npos);
}

TEST(OpenAiMetrics, EachNodeOfTheClusterIsLabelled) {
  stats s;
  s.requeued = 6;
  s.nodes = {{0, "local", true, 1, 10, 80, 0, ""}, {1, "10.0.0.2:7171", false, 0, 3, 24, 2, "lost"}};
  const auto samples = parse_prometheus(metrics_text(s));
  EXPECT_EQ(samples.at("binserve_requeued_total"), 6);
  EXPECT_EQ(samples.at(R"(binserve_node_connected{node="0",name="local"})"), 1);
  EXPECT_EQ(samples.at(R"(binserve_node_connected{node="1",name="10.0.0.2:7171"})"), 0);
  EXPECT_EQ(samples.at(R"(binserve_node_batches_total{node="1",name="10.0.0.2:7171"})"), 3);
  EXPECT_EQ(samples.at(R"(binserve_node_executor_failures_total{node="1",name="10.0.0.2:7171"})"), 2);
}

}  // namespace
}  // namespace binserve::openai
