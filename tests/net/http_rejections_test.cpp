// What the HTTP API refuses, through the real server on stories260K (issue
// 14 item 9): an unknown model is 404 model_not_found; a parameter binserve
// does not implement, an unknown one or a value out of range is 400 with
// `param` naming it, as vLLM answers. Before the fix every one of these was
// accepted and ignored (any `model`, even 5; tools, suffix, best_of, ...).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/net/stories_http.hpp"

namespace binserve {
namespace {

using json = nlohmann::json;
using testing::chat_messages;
using testing::kChat;
using testing::kCompletions;

class HttpRejections : public testing::stories_http_test {
 protected:
  // The smallest valid body of `path`, with `extra` merged in.
  static json body(const char* path, const json& extra) {
    json b = std::string(path) == kChat ? json{{"messages", chat_messages("Once")}} : json{{"prompt", "Once"}};
    b["max_tokens"] = 2;
    b.update(extra);
    return b;
  }
};

struct refused {
  const char* path;
  json extra;
  const char* param;
};

TEST_F(HttpRejections, UnknownModelIs404ModelNotFound) {
  for (const char* path : {kCompletions, kChat}) {
    const json e = error_of(path, body(path, {{"model", "gpt-4"}}), 404);
    EXPECT_EQ(e["code"], "model_not_found") << path;
    EXPECT_NE(e["message"].get<std::string>().find("gpt-4"), std::string::npos) << e;
  }
}

TEST_F(HttpRejections, ModelThatIsNotAStringIs400NamingModel) {
  EXPECT_EQ(error_of(kCompletions, body(kCompletions, {{"model", 5}}))["param"], "model");
}

TEST_F(HttpRejections, AbsentModelMeansTheServedOne) {
  for (const char* path : {kCompletions, kChat}) {
    EXPECT_EQ(ok(path, body(path, json::object()))["model"], testing::kStoriesId) << path;
    EXPECT_EQ(ok(path, body(path, {{"model", testing::kStoriesId}}))["model"], testing::kStoriesId) << path;
  }
}

TEST_F(HttpRejections, UnsupportedParametersAre400NamingThem) {
  const json tool = {{"type", "function"}, {"function", {{"name", "f"}, {"parameters", json::object()}}}};
  const refused cases[] = {
      {kCompletions, {{"suffix", "and then"}}, "suffix"},
      {kCompletions, {{"best_of", 2}}, "best_of"},
      {kCompletions, {{"best_of", 3}, {"n", 2}}, "best_of"},
      {kCompletions, {{"echo", true}, {"logprobs", 1}}, "echo"},
      {kChat, {{"tools", json::array({tool})}}, "tools"},
      {kChat, {{"tool_choice", "required"}}, "tool_choice"},
      {kChat, {{"functions", json::array({tool["function"]})}}, "functions"},
      {kChat, {{"response_format", {{"type", "json_object"}}}}, "response_format"},
      {kChat, {{"echo", true}}, "echo"},  // a completions parameter
      {kCompletions, {{"top_k", 40}}, "top_k"},
      {kChat, {{"top_k", 40}}, "top_k"},
      {kCompletions, {{"frobnicate", 1}}, "frobnicate"},
  };
  for (const refused& c : cases) {
    const json e = error_of(c.path, body(c.path, c.extra));
    EXPECT_EQ(e["param"], c.param) << c.path << " " << c.extra;
    EXPECT_EQ(e["type"], "invalid_request_error") << c.extra;
  }
}

// The "off" values of features binserve does not have are what clients
// send by default, so they are accepted.
TEST_F(HttpRejections, OffValuesOfUnsupportedParametersAreAccepted) {
  ok(kCompletions, body(kCompletions, {{"suffix", ""}, {"best_of", 2}, {"n", 2}}));
  ok(kChat, body(kChat, {{"tools", json::array()},
                         {"tool_choice", "none"},
                         {"parallel_tool_calls", false},
                         {"response_format", {{"type", "text"}}}}));
  ok(kChat, body(kChat, {{"tool_choice", "auto"}}));
}

// vLLM's `priority` and binserve's `length_hint` are known parameters now,
// not refused as unknown, on both endpoints.
TEST_F(HttpRejections, PriorityAndLengthHintAreAccepted) {
  for (const char* path : {kCompletions, kChat}) {
    ok(path, body(path, {{"priority", 1000}, {"length_hint", 2}}));
    ok(path, body(path, {{"priority", -1000}, {"length_hint", 1}}));
  }
  json no_limit = body(kChat, {{"length_hint", 100}, {"temperature", 0}});  // max_tokens: the deployment's
  no_limit.erase("max_tokens");
  no_limit["messages"] = testing::chat_messages(testing::kEarlyStopPrompt);
  ok(kChat, no_limit);
}

TEST_F(HttpRejections, ValuesOutOfRangeAre400NamingTheParameter) {
  const json five_prompts = json::array({"a", "b", "c", "d", "e"});
  const refused cases[] = {
      {kCompletions, {{"n", 17}}, "n"},
      {kCompletions, {{"n", 0}}, "n"},
      {kCompletions, {{"prompt", five_prompts}, {"n", 13}}, "n"},  // 65 choices > 64
      {kCompletions, {{"stop", json::array({"a", "b", "c", "d", "e"})}}, "stop"},
      {kCompletions, {{"stop", 5}}, "stop"},
      {kCompletions, {{"logprobs", 21}}, "logprobs"},
      {kChat, {{"logprobs", true}, {"top_logprobs", 21}}, "top_logprobs"},
      {kChat, {{"top_logprobs", 2}}, "top_logprobs"},  // without logprobs: true
      {kChat, {{"logprobs", 2}}, "logprobs"},          // chat's is a boolean
      {kCompletions, {{"temperature", 2.5}}, "temperature"},
      {kCompletions, {{"top_p", 0}}, "top_p"},
      {kCompletions, {{"presence_penalty", 2.5}}, "presence_penalty"},
      {kCompletions, {{"frequency_penalty", -3}}, "frequency_penalty"},
      {kCompletions, {{"max_tokens", 0}}, "max_tokens"},
      {kChat, {{"max_completion_tokens", 0}}, "max_completion_tokens"},
      {kCompletions, {{"seed", "x"}}, "seed"},
      {kCompletions, {{"ignore_eos", 1}}, "ignore_eos"},
      {kCompletions, {{"min_tokens", -1}}, "min_tokens"},
      {kCompletions, {{"priority", 1001}}, "priority"},
      {kChat, {{"priority", "urgent"}}, "priority"},
      {kCompletions, {{"length_hint", 0}}, "length_hint"},
      {kChat, {{"length_hint", 2.5}}, "length_hint"},
      {kCompletions, {{"length_hint", 3}}, "length_hint"},  // over max_tokens 2: the service's check
      {kChat, {{"length_hint", 3}}, "length_hint"},
      {kCompletions, {{"stream_options", {{"include_usage", true}}}}, "stream_options"},  // without stream
      {kCompletions, {{"prompt", json::array()}}, "prompt"},
      {kChat, {{"messages", json::array({{{"role", "tool"}, {"content", "x"}}})}}, "messages"},
  };
  for (const refused& c : cases) EXPECT_EQ(error_of(c.path, body(c.path, c.extra))["param"], c.param) << c.extra;
  const json accepted = ok(kCompletions, body(kCompletions, {{"prompt", five_prompts}, {"n", 12}, {"max_tokens", 1}}));
  EXPECT_EQ(accepted["choices"].size(), 60u);
}

}  // namespace
}  // namespace binserve
