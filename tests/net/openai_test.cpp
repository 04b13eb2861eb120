// The OpenAI translation layer: request parsing, errors, response shapes and
// SSE chunks; and the streamed text's hold-back.
#include "net/openai.hpp"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "net/stream_text.hpp"

namespace binserve::openai {
namespace {

using json = nlohmann::json;

const request& first(const parsed_call& p) { return p.call->choices.at(0); }

TEST(OpenAiParse, CompletionDefaultsFollowOpenAi) {
  auto p = parse_completion(R"({"model": "m", "prompt": "Once upon a time"})");
  ASSERT_TRUE(p.call) << p.error.message;
  EXPECT_EQ(p.call->kind, api_kind::completion);
  EXPECT_EQ(p.call->model, "m");
  ASSERT_EQ(p.call->choices.size(), 1u);
  EXPECT_EQ(first(p).prompt, "Once upon a time");
  EXPECT_EQ(first(p).max_new_tokens, 16);
  EXPECT_FLOAT_EQ(first(p).temperature, 1.0f);
  EXPECT_FLOAT_EQ(first(p).top_p, 1.0f);
  EXPECT_FALSE(first(p).seed.has_value()) << "no seed: the service draws one";
  EXPECT_TRUE(first(p).stop.empty());
  EXPECT_EQ(first(p).logprobs, -1);
  EXPECT_FALSE(p.call->stream);
  EXPECT_FALSE(p.call->echo);
  EXPECT_FALSE(p.call->logprobs);
}

TEST(OpenAiParse, CompletionReadsEveryField) {
  auto p = parse_completion(
      R"({"prompt": "x", "max_tokens": 5, "temperature": 0, "top_p": 0.5, "seed": 7, "stream": true,
          "stream_options": {"include_usage": true}, "stop": ["\n", "The end"], "n": 1,
          "presence_penalty": 0.5, "frequency_penalty": -1, "logit_bias": {"13": -100, "7": 2.5},
          "logprobs": 3, "ignore_eos": true, "min_tokens": 4, "best_of": 1, "suffix": null,
          "priority": -1000, "length_hint": 5})");
  ASSERT_TRUE(p.call) << p.error.message;
  const request& r = first(p);
  EXPECT_EQ(r.max_new_tokens, 5);
  EXPECT_FLOAT_EQ(r.temperature, 0.0f);
  EXPECT_FLOAT_EQ(r.top_p, 0.5f);
  EXPECT_EQ(r.seed, 7u);
  EXPECT_TRUE(p.call->stream);
  EXPECT_TRUE(p.call->include_usage);
  EXPECT_EQ(r.stop, (std::vector<std::string>{"\n", "The end"}));
  EXPECT_FLOAT_EQ(r.presence_penalty, 0.5f);
  EXPECT_FLOAT_EQ(r.frequency_penalty, -1.0f);
  ASSERT_EQ(r.logit_bias.size(), 2u);
  std::map<int, float> bias;
  for (const auto& e : r.logit_bias) bias[e.token] = e.bias;
  EXPECT_EQ(bias, (std::map<int, float>{{7, 2.5f}, {13, -100.0f}}));
  EXPECT_EQ(r.logprobs, 3);
  EXPECT_TRUE(p.call->logprobs);
  EXPECT_TRUE(r.ignore_eos);
  EXPECT_EQ(r.min_tokens, 4);
  EXPECT_EQ(r.priority, -1000);
  EXPECT_EQ(r.length_hint, 5);
}

// vLLM's priority (here higher is more urgent) and binserve's length_hint
// are known on both endpoints, carried by every choice; absent, 0 (none).
TEST(OpenAiParse, PriorityAndLengthHintAreKnownOnBothEndpoints) {
  auto c = parse_completion(R"({"prompt": "x", "n": 2, "priority": 1000, "length_hint": 9})");
  ASSERT_TRUE(c.call) << c.error.message;
  for (const request& r : c.call->choices) {
    EXPECT_EQ(r.priority, 1000);
    EXPECT_EQ(r.length_hint, 9);
  }
  auto chat =
      parse_chat_completion(R"({"messages": [{"role": "user", "content": "x"}], "priority": -3, "length_hint": 1})");
  ASSERT_TRUE(chat.call) << chat.error.message;
  EXPECT_EQ(first(chat).priority, -3);
  EXPECT_EQ(first(chat).length_hint, 1);
  auto plain = parse_chat_completion(R"({"messages": [{"role": "user", "content": "x"}], "priority": null})");
  ASSERT_TRUE(plain.call) << plain.error.message;
  EXPECT_EQ(first(plain).priority, 0);
  EXPECT_EQ(first(plain).length_hint, 0);
}

TEST(OpenAiParse, StopAsStringEmptyStringAndEmptyListMeanWhatTheySay) {
  EXPECT_EQ(first(parse_completion(R"({"prompt": "x", "stop": "END"})")).stop, std::vector<std::string>{"END"});
  EXPECT_TRUE(first(parse_completion(R"({"prompt": "x", "stop": ""})")).stop.empty());
  EXPECT_TRUE(first(parse_completion(R"({"prompt": "x", "stop": []})")).stop.empty());
  auto chat = parse_chat_completion(R"({"messages": [{"role": "user", "content": "hi"}], "stop": ["a", "b"]})");
  ASSERT_TRUE(chat.call) << chat.error.message;
  EXPECT_EQ(first(chat).stop, (std::vector<std::string>{"a", "b"}));
}

TEST(OpenAiParse, NAndPromptListsExpandIntoChoicesInOpenAiOrder) {
  auto p = parse_completion(R"({"prompt": ["a", "b"], "n": 3, "seed": 10})");
  ASSERT_TRUE(p.call) << p.error.message;
  ASSERT_EQ(p.call->choices.size(), 6u);
  EXPECT_EQ(p.call->n, 3);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(p.call->choices[i].prompt, i < 3 ? "a" : "b") << i;
    EXPECT_EQ(p.call->choices[i].seed, 10u + static_cast<unsigned>(i % 3)) << "sample j is seeded seed + j";
  }
  auto unseeded = parse_completion(R"({"prompt": "a", "n": 2})");
  ASSERT_TRUE(unseeded.call);
  EXPECT_FALSE(unseeded.call->choices[1].seed) << "each unseeded choice draws its own seed";
}

TEST(OpenAiParse, PromptMayBeTokenIds) {
  auto one = parse_completion(R"({"prompt": [1, 403, 9]})");
  ASSERT_TRUE(one.call) << one.error.message;
  EXPECT_EQ(first(one).prompt_ids, (std::vector<int>{1, 403, 9}));
  auto two = parse_completion(R"({"prompt": [[1, 2], [1, 3]]})");
  ASSERT_TRUE(two.call) << two.error.message;
  ASSERT_EQ(two.call->choices.size(), 2u);
  EXPECT_EQ(two.call->choices[1].prompt_ids, (std::vector<int>{1, 3}));
}

TEST(OpenAiParse, UserIsTheFairnessKeyAndAbsentLeavesItToTheServer) {
  auto with = parse_chat_completion(R"({"messages": [{"role": "user", "content": "hi"}], "user": "alice"})");
  ASSERT_TRUE(with.call) << with.error.message;
  EXPECT_EQ(first(with).client, "user:alice");
  auto without = parse_completion(R"({"prompt": "x", "user": null})");
  ASSERT_TRUE(without.call) << without.error.message;
  EXPECT_EQ(first(without).client, "");
}

TEST(OpenAiParse, ErrorsNameTheField) {
  const std::map<std::string, std::string> cases = {
      {R"({"max_tokens": 3})", "prompt"},
      {R"({"prompt": []})", "prompt"},
      {R"({"prompt": [1, "a"]})", "prompt"},
      {R"({"prompt": "a", "max_tokens": 0})", "max_tokens"},
      {R"({"prompt": "a", "max_tokens": 1.5})", "max_tokens"},
      {R"({"prompt": "a", "temperature": "hot"})", "temperature"},
      {R"({"prompt": "a", "top_p": "0.5"})", "top_p"},
      {R"({"prompt": "a", "presence_penalty": "2"})", "presence_penalty"},
      {R"({"prompt": "a", "seed": "x"})", "seed"},
      {R"({"prompt": "a", "stream": 1})", "stream"},
      {R"({"prompt": "a", "stop": ["a", "b", "c", "d", "e"]})", "stop"},
      {R"({"prompt": "a", "stop": [1]})", "stop"},
      {R"({"prompt": "a", "n": 0})", "n"},
      {R"({"prompt": "a", "n": 17})", "n"},
      {R"({"prompt": "a", "user": 7})", "user"},
      {R"({"prompt": "a", "model": 5})", "model"},
      {R"({"prompt": "a", "logit_bias": {"x": 1}})", "logit_bias"},
      {R"({"prompt": "a", "logit_bias": [1]})", "logit_bias"},
      {R"({"prompt": "a", "logprobs": 21})", "logprobs"},
      {R"({"prompt": "a", "logprobs": true})", "logprobs"},
      {R"({"prompt": "a", "min_tokens": -1})", "min_tokens"},
      {R"({"prompt": "a", "ignore_eos": "yes"})", "ignore_eos"},
      {R"({"prompt": "a", "priority": 1.5})", "priority"},
      {R"({"prompt": "a", "length_hint": 0})", "length_hint"},
      {R"({"prompt": "a", "length_hint": "long"})", "length_hint"},
      {R"({"prompt": "a", "stream_options": {"include_usage": true}})", "stream_options"},
      {R"({"prompt": "a", "stream": true, "stream_options": {"other": 1}})", "stream_options"},
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

// Ranges are the service's to check, as for every entry point
// (validate_request): the parse passes the values on, and the service's
// rejection becomes a 400 naming the parameter (HttpRejections).
TEST(OpenAiParse, RangesAreLeftToTheServicesOneValidation) {
  auto p = parse_completion(R"({"prompt": "a", "temperature": 3, "top_p": 0, "presence_penalty": 2.5,
                                "frequency_penalty": -3, "priority": 1001})");
  ASSERT_TRUE(p.call) << p.error.message;
  EXPECT_FLOAT_EQ(first(p).temperature, 3.0f);
  EXPECT_FLOAT_EQ(first(p).top_p, 0.0f);
  EXPECT_FLOAT_EQ(first(p).presence_penalty, 2.5f);
  EXPECT_FLOAT_EQ(first(p).frequency_penalty, -3.0f);
  EXPECT_EQ(first(p).priority, 1001);
}

// What binserve does not implement is refused by name, never accepted and
// ignored (a client would silently get something other than it asked for).
TEST(OpenAiParse, UnsupportedAndUnknownParametersAre400NamingThem) {
  const std::map<std::string, std::string> completion = {
      {R"({"prompt": "a", "suffix": "tail"})", "suffix"},          {R"({"prompt": "a", "best_of": 3})", "best_of"},
      {R"({"prompt": "a", "echo": true, "logprobs": 1})", "echo"}, {R"({"prompt": "a", "top_k": 5})", "top_k"},
      {R"({"prompt": "a", "messages": []})", "messages"},
  };
  for (const auto& [body, param] : completion) {
    auto p = parse_completion(body);
    ASSERT_FALSE(p.call) << body;
    EXPECT_EQ(p.error.param, param) << body;
    EXPECT_NE(p.error.message.find(param), std::string::npos) << p.error.message;
  }
  const std::string msg = R"("messages": [{"role": "user", "content": "hi"}])";
  const std::map<std::string, std::string> chat = {
      {"{" + msg + R"(, "tools": [{"type": "function"}]})", "tools"},
      {"{" + msg + R"(, "tool_choice": "required"})", "tool_choice"},
      {"{" + msg + R"(, "response_format": {"type": "json_object"}})", "response_format"},
      {"{" + msg + R"(, "functions": []})", "functions"},
      {"{" + msg + R"(, "top_logprobs": 2})", "top_logprobs"},
      {"{" + msg + R"(, "echo": true})", "echo"},
      {"{" + msg + R"(, "prompt": "x"})", "prompt"},
  };
  for (const auto& [body, param] : chat) {
    auto p = parse_chat_completion(body);
    ASSERT_FALSE(p.call) << body;
    EXPECT_EQ(p.error.param, param) << body;
  }
  for (const char* fine : {R"(, "tools": [], "tool_choice": "none", "response_format": {"type": "text"})",
                           R"(, "parallel_tool_calls": false, "logprobs": true, "top_logprobs": 3)"}) {
    auto p = parse_chat_completion("{" + msg + fine + "}");
    ASSERT_TRUE(p.call) << fine << ": " << p.error.message;
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

TEST(OpenAiParse, ChatJoinsTextContentsOfEveryShape) {
  auto p = parse_chat_completion(
      R"({"messages": [{"role": "system", "content": "Be brief."},
                       {"role": "assistant", "content": null},
                       {"role": "user", "content": [{"type": "text", "text": "Once upon "},
                                                    {"type": "text", "text": "a time"}]}],
          "max_completion_tokens": 9, "temperature": 0, "logprobs": true, "top_logprobs": 2})");
  ASSERT_TRUE(p.call) << p.error.message;
  EXPECT_EQ(p.call->kind, api_kind::chat);
  EXPECT_EQ(first(p).prompt, "Be brief.\nOnce upon a time");
  EXPECT_EQ(first(p).max_new_tokens, 9);
  EXPECT_EQ(first(p).logprobs, 2);
  auto unbounded = parse_chat_completion(R"({"messages": [{"role": "user", "content": "hi"}]})");
  ASSERT_TRUE(unbounded.call);
  EXPECT_EQ(first(unbounded).max_new_tokens, 0) << "chat without max_tokens: as many as the deployment allows";
  EXPECT_TRUE(p.call->logprobs);
}

TEST(OpenAiParse, ChatRejectsBadMessages) {
  for (const char* body :
       {R"({})", R"({"messages": []})", R"({"messages": "hi"})", R"({"messages": [{"role": "user"}]})",
        R"({"messages": [{"content": "x"}]})", R"({"messages": [{"role": "user", "content": 3}]})",
        R"({"messages": [{"role": "robot", "content": "x"}]})",
        R"({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]})"}) {
    auto p = parse_chat_completion(body);
    ASSERT_FALSE(p.call) << body;
    EXPECT_EQ(p.error.param, "messages") << body;
  }
}

// The service's own checks name the field first; the 400 names it as the
// endpoint calls it.
TEST(OpenAiErrors, ServiceRejectionsNameTheParameter) {
  auto param = [](const std::string& message, api_kind kind = api_kind::completion) {
    return to_api_error(status(error_code::invalid_argument, message), kind).param;
  };
  EXPECT_EQ(param("logit_bias: token 999 is outside the vocabulary"), "logit_bias");
  EXPECT_EQ(param("min_tokens must be in [0, max_new_tokens]"), "min_tokens");
  EXPECT_EQ(param("length_hint must be in [1, max_new_tokens = 16] (0: none), not 20"), "length_hint");
  EXPECT_EQ(param("priority must be in [-1000, 1000] (higher is more urgent), not 2000"), "priority");
  EXPECT_EQ(param("each stop string must have 1 to 256 bytes"), "stop");
  EXPECT_EQ(param("prompt token 999 is outside the vocabulary"), "prompt");
  EXPECT_EQ(param("prompt token 999 is outside the vocabulary", api_kind::chat), "messages");
  EXPECT_EQ(to_api_error(status(error_code::input_too_large, "max_new_tokens must be in [1, 512]")).param,
            "max_tokens");
  EXPECT_EQ(param("something else"), "");
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
  r.seed = 99;
  return r;
}

std::string text_of(int token) { return "<" + std::to_string(token) + ">"; }

json render(const response_meta& m, const result& r, bool logprobs = false, std::string prefix = "") {
  const choice_output c{0, &r, std::move(prefix)};
  return json::parse(response_json(m, std::span(&c, 1), {4, 3}, {.logprobs = logprobs}, text_of));
}

TEST(OpenAiResponse, CompletionShape) {
  const json j = render({api_kind::completion, 42, "stories", 1700000000}, sample_result("stop_token"));
  EXPECT_EQ(j["id"], "cmpl-42");
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["created"], 1700000000);
  EXPECT_EQ(j["model"], "stories");
  ASSERT_EQ(j["choices"].size(), 1u);
  EXPECT_EQ(j["choices"][0]["text"], " there was a cat");
  EXPECT_EQ(j["choices"][0]["index"], 0);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(j["choices"][0]["seed"], 99);
  EXPECT_TRUE(j["choices"][0]["logprobs"].is_null());
  EXPECT_EQ(j["usage"], json({{"prompt_tokens", 4}, {"completion_tokens", 3}, {"total_tokens", 7}}));
}

TEST(OpenAiResponse, StopStringFinishesWithStopAndEchoPrefixesTheText) {
  const json j = render({api_kind::completion, 1, "m", 1}, sample_result("stop_string"), false, "Once");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(j["choices"][0]["text"], "Once there was a cat");
}

TEST(OpenAiResponse, ChatShape) {
  const json j = render({api_kind::chat, 3, "m", 1}, sample_result("max_new_tokens"));
  EXPECT_EQ(j["id"], "chatcmpl-3");
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["choices"][0]["message"], json({{"role", "assistant"}, {"content", " there was a cat"}}));
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["total_tokens"], 7);
}

result with_logprobs() {
  result r = sample_result("max_new_tokens");
  r.logprobs = {{{5, -0.5f}, {{5, -0.5f}, {8, -1.5f}}}, {{6, -2.0f}, {{9, -0.1f}, {6, -2.0f}}}};
  r.generated_ids = {5, 6};
  return r;
}

TEST(OpenAiResponse, CompletionLogprobsAreTheLegacyParallelArrays) {
  const json lp = render({api_kind::completion, 1, "m", 1}, with_logprobs(), true, "Hi")["choices"][0]["logprobs"];
  EXPECT_EQ(lp["tokens"], json({"<5>", "<6>"}));
  EXPECT_EQ(lp["token_logprobs"], json({-0.5, -2.0}));
  EXPECT_EQ(lp["top_logprobs"], json({{{"<5>", -0.5}, {"<8>", -1.5}}, {{"<9>", -0.1f}, {"<6>", -2.0}}}));
  EXPECT_EQ(lp["text_offset"], json({2, 5})) << "offsets count the echoed prompt";
}

TEST(OpenAiResponse, ChatLogprobsAreContentEntriesWithBytes) {
  const json lp = render({api_kind::chat, 1, "m", 1}, with_logprobs(), true)["choices"][0]["logprobs"];
  ASSERT_EQ(lp["content"].size(), 2u);
  const json& e = lp["content"][0];
  EXPECT_EQ(e["token"], "<5>");
  EXPECT_FLOAT_EQ(e["logprob"].get<float>(), -0.5f);
  EXPECT_EQ(e["bytes"], json({'<', '5', '>'}));
  ASSERT_EQ(e["top_logprobs"].size(), 2u);
  EXPECT_EQ(e["top_logprobs"][1], json({{"token", "<8>"}, {"logprob", -1.5}, {"bytes", {'<', '8', '>'}}}));
}

json sse_payload(const std::string& event) {
  EXPECT_EQ(event.rfind("data: ", 0), 0u) << event;
  EXPECT_EQ(event.substr(event.size() - 2), "\n\n") << event;
  return json::parse(event.substr(6, event.size() - 8));
}

TEST(OpenAiStream, CompletionChunks) {
  const response_meta m{api_kind::completion, 9, "m", 5};
  const json c = sse_payload(stream_chunk(m, 1, " cat", nullptr, 0, text_of));
  EXPECT_EQ(c["object"], "text_completion");
  EXPECT_EQ(c["id"], "cmpl-9");
  EXPECT_EQ(c["choices"][0]["index"], 1);
  EXPECT_EQ(c["choices"][0]["text"], " cat");
  EXPECT_TRUE(c["choices"][0]["finish_reason"].is_null());
  const json f = sse_payload(stream_final_chunk(m, 1, "length"));
  EXPECT_EQ(f["choices"][0]["text"], "");
  EXPECT_EQ(f["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(stream_done, "data: [DONE]\n\n");
}

// The OpenAI SDK's stream helpers (finalChatCompletion, runTools) need the
// role in a choice's first delta: "missing role for choice 0" otherwise.
TEST(OpenAiStream, ChatChunksStartWithTheRoleThenCarryDeltas) {
  const response_meta m{api_kind::chat, 9, "m", 5};
  const json r = sse_payload(stream_role_chunk(m, 0));
  EXPECT_EQ(r["object"], "chat.completion.chunk");
  EXPECT_EQ(r["choices"][0]["delta"], json({{"role", "assistant"}, {"content", ""}}));
  const json c = sse_payload(stream_chunk(m, 0, "Hi", nullptr, 0, text_of));
  EXPECT_EQ(c["choices"][0]["delta"], json({{"content", "Hi"}}));
  const json f = sse_payload(stream_final_chunk(m, 0, "stop"));
  EXPECT_EQ(f["choices"][0]["delta"], json::object());
  EXPECT_EQ(f["choices"][0]["finish_reason"], "stop");
  const json e = sse_payload(stream_error(to_api_error(status(error_code::backend_failure, "boom"))));
  EXPECT_EQ(e["error"]["code"], "backend_failure");
}

TEST(OpenAiStream, ChunksCarryTheirTokensLogprobsAndUsageComesLast) {
  const generated_token t{0, 5, "<5>", token_logprobs{{5, -0.25f}, {{5, -0.25f}}}};
  const json chat = sse_payload(stream_chunk({api_kind::chat, 1, "m", 1}, 0, "<5>", &t, 0, text_of));
  EXPECT_FLOAT_EQ(chat["choices"][0]["logprobs"]["content"][0]["logprob"].get<float>(), -0.25f);
  const json comp = sse_payload(stream_chunk({api_kind::completion, 1, "m", 1}, 0, "<5>", &t, 7, text_of));
  EXPECT_EQ(comp["choices"][0]["logprobs"]["text_offset"], json({7}));
  const json u = sse_payload(stream_usage_chunk({api_kind::chat, 1, "m", 1}, {4, 3}));
  EXPECT_TRUE(u["choices"].empty());
  EXPECT_EQ(u["usage"]["total_tokens"], 7);
}

TEST(OpenAiStream, InvalidUtf8IsReplacedNotThrown) {
  const json c = sse_payload(stream_chunk({api_kind::completion, 1, "m", 1}, 0, "\xff", nullptr, 0, text_of));
  EXPECT_FALSE(c["choices"][0]["text"].get<std::string>().empty());
}

TEST(OpenAiStream, Utf8PrefixStopsBeforeASplitCharacter) {
  EXPECT_EQ(complete_utf8_prefix("abc"), 3u);
  EXPECT_EQ(complete_utf8_prefix(""), 0u);
  EXPECT_EQ(complete_utf8_prefix("a\xC3"), 1u);         // first byte of é
  EXPECT_EQ(complete_utf8_prefix("a\xC3\xA9"), 3u);     // é
  EXPECT_EQ(complete_utf8_prefix("\xE2\x82"), 0u);      // 2 of 3 bytes of €
  EXPECT_EQ(complete_utf8_prefix("\xF0\x9F\x98"), 0u);  // 3 of 4 bytes of an emoji
  EXPECT_EQ(complete_utf8_prefix("\xF0\x9F\x98\x80!"), 5u);
}

TEST(OpenAiMisc, ModelsAndHealth) {
  const json m = json::parse(models_json("stories260K"));
  EXPECT_EQ(m["object"], "list");
  EXPECT_EQ(m["data"][0]["id"], "stories260K");
  EXPECT_EQ(m["data"][0]["object"], "model");
  EXPECT_EQ(json::parse(model_json("stories260K"))["id"], "stories260K");
  EXPECT_EQ(json::parse(health_json(false)), json({{"status", "ok"}}));
  EXPECT_EQ(json::parse(health_json(true)), json({{"status", "draining"}}));
}

}  // namespace
}  // namespace binserve::openai

namespace binserve::net {
namespace {

// What a stream sends, piece by piece, then the rest at the end.
std::string streamed(stream_text& s, const std::vector<std::string>& pieces, const std::string& final_text,
                     std::vector<std::string>* sent = nullptr) {
  std::string out;
  for (const std::string& p : pieces) {
    const std::string now = s.push(p);
    if (sent) sent->push_back(now);
    out += now;
  }
  return out + s.finish(final_text);
}

TEST(StreamText, HoldsBackWhatMayBeginAStopStringAndReleasesItWhenNot) {
  stream_text s({"The end"});
  std::vector<std::string> sent;
  EXPECT_EQ(streamed(s, {"Lily", " saw", " The", " cat"}, "Lily saw The cat", &sent), "Lily saw The cat");
  EXPECT_EQ(sent, (std::vector<std::string>{"Lily", " saw", " ", "The cat"}))
      << "\"The\" might have begun \"The end\": held until \" cat\" ruled it out";
}

TEST(StreamText, NeverSendsAStopStringOrWhatFollowsIt) {
  stream_text s({"END"});
  // The service cut the final text before "END"; the stream never showed "E".
  std::vector<std::string> sent;
  EXPECT_EQ(streamed(s, {"ab", "cE", "N", "D!"}, "abc", &sent), "abc");
  for (const std::string& piece : sent) EXPECT_EQ(piece.find('E'), std::string::npos);
}

TEST(StreamText, WaitsForWholeUtf8Characters) {
  stream_text s;
  std::vector<std::string> sent;
  EXPECT_EQ(streamed(s, {"a\xC3", "\xA9", "\xE2\x82", "\xAC"}, "a\xC3\xA9\xE2\x82\xAC", &sent),
            "a\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(sent, (std::vector<std::string>{"a", "\xC3\xA9", "", "\xE2\x82\xAC"}));
}

}  // namespace
}  // namespace binserve::net
