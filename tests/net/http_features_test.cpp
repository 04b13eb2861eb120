// The OpenAI features clients send, through the real HTTP server on
// stories260K (issue 14): stop, n, prompt lists and token ids, echo,
// logprobs, chat content parts, the stream's role and usage chunks. Each
// answer is checked against the direct greedy reference or, for sampled
// choices, against single requests with the same seed. Sampling controls
// (seed, penalties, logit_bias, ignore_eos, min_tokens):
// http_sampling_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gpu/generate.hpp"
#include "gpu/tokenizer.hpp"
#include "tests/net/stories_http.hpp"

namespace binserve {
namespace {

using json = nlohmann::json;
using testing::chat_messages;
using testing::finish_reasons;
using testing::kChat;
using testing::kCompletions;
using testing::middle_stop;
using testing::streamed_texts;

const char* kPrompt = "Once upon a time";

class HttpFeatures : public testing::stories_http_test {};

// The text of every streamed chunk of choice 0.
std::vector<std::string> chunk_texts(const std::vector<json>& events) {
  std::vector<std::string> out;
  for (const auto& e : events)
    if (e.is_object())
      for (const auto& c : e["choices"])
        out.push_back(c.contains("text") ? c["text"].get<std::string>() : c["delta"].value("content", ""));
  return out;
}

// Before the fix any non-null `stop` was refused with 400.
TEST_F(HttpFeatures, StopEndsTheTextRightBeforeTheStopString) {
  const std::string text = greedy(kPrompt, 40);
  const auto [stop, before] = middle_stop(text);
  ASSERT_FALSE(before.empty());
  ASSERT_LT(before.size(), text.size());
  for (const json& s : {json(stop), json::array({"#never#", stop})}) {
    const json j = ok(kCompletions, {{"prompt", kPrompt}, {"max_tokens", 40}, {"temperature", 0}, {"stop", s}});
    EXPECT_EQ(j["choices"][0]["text"], before) << "stop " << s;
    EXPECT_EQ(j["choices"][0]["finish_reason"], "stop") << "stop " << s;
  }
  // "" and [] mean no stop string.
  for (const json& none : {json(""), json::array()}) {
    const json j = ok(kCompletions, {{"prompt", kPrompt}, {"max_tokens", 40}, {"temperature", 0}, {"stop", none}});
    EXPECT_EQ(j["choices"][0]["text"], text) << "stop " << none;
    EXPECT_EQ(j["choices"][0]["finish_reason"], "length") << "stop " << none;
  }
}

// The stop string is 8 bytes, several tokens of this model: without the
// hold-back its first tokens would be streamed before the token completing
// it arrived. The chunks add up to exactly the cut text, so no byte of the
// stop string was sent.
TEST_F(HttpFeatures, StreamedStopHoldsBackTextThatMayBeginTheStopString) {
  const auto [stop, before] = middle_stop(greedy(kPrompt, 40));
  const auto events =
      stream(kCompletions, {{"prompt", kPrompt}, {"max_tokens", 40}, {"temperature", 0}, {"stop", stop}});
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "[DONE]");
  EXPECT_EQ(streamed_texts(events)[0], before);
  for (const std::string& t : chunk_texts(events)) EXPECT_EQ(t.find(stop), std::string::npos) << t;
  EXPECT_EQ(finish_reasons(events)[0], std::vector<std::string>{"stop"});
}

TEST_F(HttpFeatures, ChatStopStreamedAndNot) {
  const auto [stop, before] = middle_stop(greedy(kPrompt, 40));
  const json body = {
      {"messages", chat_messages(kPrompt)}, {"max_tokens", 40}, {"temperature", 0}, {"stop", json::array({stop})}};
  const json j = ok(kChat, body);
  EXPECT_EQ(j["choices"][0]["message"]["content"], before);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  const auto events = stream(kChat, body);
  EXPECT_EQ(streamed_texts(events)[0], before);
  for (const std::string& t : chunk_texts(events)) EXPECT_EQ(t.find(stop), std::string::npos) << t;
  EXPECT_EQ(finish_reasons(events)[0], std::vector<std::string>{"stop"});
}

// Before the fix n other than 1 was refused with 400.
TEST_F(HttpFeatures, NTwoGivesTwoChoicesSampledWithSeedAndSeedPlusOne) {
  const json ask = {{"prompt", kPrompt}, {"max_tokens", 12}, {"temperature", 1}, {"seed", 42}};
  json two = ask;
  two["n"] = 2;
  const json j = ok(kCompletions, two);
  ASSERT_EQ(j["choices"].size(), 2u) << j;
  int completion_tokens = 0;
  for (int k = 0; k < 2; ++k) {
    json one = ask;
    one["seed"] = 42 + k;
    const json single = ok(kCompletions, one);
    EXPECT_EQ(j["choices"][k]["index"], k);
    EXPECT_EQ(j["choices"][k]["seed"], 42 + k);
    EXPECT_EQ(j["choices"][k]["text"], single["choices"][0]["text"]) << "choice " << k;
    completion_tokens += single["usage"]["completion_tokens"].get<int>();
    EXPECT_EQ(j["usage"]["prompt_tokens"], single["usage"]["prompt_tokens"]);  // one prompt, counted once
  }
  EXPECT_EQ(j["usage"]["completion_tokens"], completion_tokens);
}

TEST_F(HttpFeatures, NTwoStreamsBothChoicesEachWithOneFinishReasonAndOneDone) {
  const json two = {{"prompt", kPrompt}, {"max_tokens", 12}, {"temperature", 1}, {"seed", 7}, {"n", 2}};
  const json whole = ok(kCompletions, two);
  const auto events = stream(kCompletions, two);
  const auto texts = streamed_texts(events);
  ASSERT_EQ(texts.size(), 2u);
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(texts.at(k), whole["choices"][k]["text"]) << "choice " << k;
    EXPECT_EQ(finish_reasons(events)[k].size(), 1u) << "choice " << k;
  }
  EXPECT_EQ(std::count(events.begin(), events.end(), json("[DONE]")), 1);
  EXPECT_EQ(events.back(), "[DONE]");
}

// Before the fix `prompt` had to be one string. Choice i answers prompt
// i / n; usage counts each prompt once, however many samples it has.
TEST_F(HttpFeatures, PromptListGivesChoicesInPromptOrderAndCountsEachPromptOnce) {
  const std::vector<std::string> prompts = {kPrompt, "Lily wanted a puppy"};
  const json j = ok(kCompletions, {{"prompt", prompts}, {"max_tokens", 10}, {"temperature", 0}, {"n", 2}});
  ASSERT_EQ(j["choices"].size(), 4u) << j;
  int prompt_tokens = 0;
  for (std::size_t p = 0; p < prompts.size(); ++p) {
    const json single = ok(kCompletions, {{"prompt", prompts[p]}, {"max_tokens", 10}, {"temperature", 0}});
    prompt_tokens += single["usage"]["prompt_tokens"].get<int>();
    for (std::size_t i = 2 * p; i < 2 * p + 2; ++i) {
      EXPECT_EQ(j["choices"][i]["index"], i);
      EXPECT_EQ(j["choices"][i]["text"], greedy(prompts[p], 10)) << "choice " << i;
    }
  }
  EXPECT_EQ(j["usage"]["prompt_tokens"], prompt_tokens);
}

TEST_F(HttpFeatures, PromptAsTokenIdsAndListsOfThem) {
  auto m = load_model(testing::shared_path(testing::kStoriesModel));
  ASSERT_TRUE(m.ok());
  const tokenizer tok(m->vocab);
  const std::vector<int> a = tok.encode(kPrompt), b = tok.encode("Lily wanted a puppy");
  const json one = ok(kCompletions, {{"prompt", a}, {"max_tokens", 10}, {"temperature", 0}});
  EXPECT_EQ(one["choices"][0]["text"], greedy(kPrompt, 10));
  EXPECT_EQ(one["usage"]["prompt_tokens"], a.size());
  const json two = ok(kCompletions, {{"prompt", {a, b}}, {"max_tokens", 10}, {"temperature", 0}});
  ASSERT_EQ(two["choices"].size(), 2u);
  EXPECT_EQ(two["choices"][1]["text"], greedy("Lily wanted a puppy", 10));
  EXPECT_EQ(two["usage"]["prompt_tokens"], a.size() + b.size());
}

// Before the fix echo was accepted and ignored.
TEST_F(HttpFeatures, EchoStartsTheTextWithThePromptStreamedAndNot) {
  const json body = {{"prompt", kPrompt}, {"max_tokens", 10}, {"temperature", 0}, {"echo", true}};
  const std::string expected = kPrompt + greedy(kPrompt, 10);
  EXPECT_EQ(ok(kCompletions, body)["choices"][0]["text"], expected);
  const auto events = stream(kCompletions, body);
  EXPECT_EQ(streamed_texts(events)[0], expected);
  ASSERT_FALSE(chunk_texts(events).empty());
  EXPECT_EQ(chunk_texts(events).front(), kPrompt);
  json with_logprobs = body;
  with_logprobs["logprobs"] = 1;
  EXPECT_EQ(error_of(kCompletions, with_logprobs)["param"], "echo");
}

// Before the fix logprobs was accepted and ignored (null). Parsed in order:
// top_logprobs is an object whose key order is the ranking.
TEST_F(HttpFeatures, CompletionLogprobsGiveTheTopKOfEveryGeneratedToken) {
  const json body = {{"prompt", kPrompt}, {"max_tokens", 8}, {"temperature", 0}, {"logprobs", 3}};
  const testing::http_reply r = testing::post(port(), kCompletions, body);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto j = nlohmann::ordered_json::parse(r.body);
  const auto& lp = j["choices"][0]["logprobs"];
  const std::size_t n = j["usage"]["completion_tokens"];
  ASSERT_EQ(lp["tokens"].size(), n);
  ASSERT_EQ(lp["token_logprobs"].size(), n);
  ASSERT_EQ(lp["top_logprobs"].size(), n);
  ASSERT_EQ(lp["text_offset"].size(), n);
  std::string joined;
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_EQ(lp["text_offset"][i], joined.size());
    joined += lp["tokens"][i].get<std::string>();
    const auto& top = lp["top_logprobs"][i];
    ASSERT_EQ(top.size(), 3u) << top;
    EXPECT_EQ(top.begin().key(), lp["tokens"][i]) << "greedy: the chosen token is the most likely";
    EXPECT_FLOAT_EQ(top.begin().value().get<float>(), lp["token_logprobs"][i].get<float>());
    float previous = 0;
    for (const auto& [token, logprob] : top.items()) {
      EXPECT_LE(logprob.get<float>(), previous) << "most likely first";
      previous = logprob.get<float>();
    }
  }
  EXPECT_EQ(joined, j["choices"][0]["text"]);
}

TEST_F(HttpFeatures, ChatLogprobsGiveContentEntriesWithBytesAndTopLogprobs) {
  const json j = ok(kChat, {{"messages", chat_messages(kPrompt)},
                            {"max_tokens", 8},
                            {"temperature", 0},
                            {"logprobs", true},
                            {"top_logprobs", 2}});
  const auto& content = j["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(content.size(), j["usage"]["completion_tokens"]);
  std::string joined;
  for (const auto& e : content) {
    const std::string token = e["token"];
    joined += token;
    EXPECT_EQ(e["bytes"], json(std::vector<int>(token.begin(), token.end())));
    ASSERT_EQ(e["top_logprobs"].size(), 2u);
    EXPECT_EQ(e["top_logprobs"][0]["token"], token);
    EXPECT_FLOAT_EQ(e["top_logprobs"][0]["logprob"].get<float>(), e["logprob"].get<float>());
    EXPECT_GE(e["top_logprobs"][0]["logprob"].get<float>(), e["top_logprobs"][1]["logprob"].get<float>());
    EXPECT_LE(e["logprob"].get<float>(), 0.0f);
  }
  EXPECT_EQ(joined, j["choices"][0]["message"]["content"]);
}

// Streamed chunks carry their token's logprobs, the same ones the whole
// answer has. The prompt's greedy text ends with a stop token: the stream
// reports no logprobs for it, as the whole answer does not.
TEST_F(HttpFeatures, StreamedChunksCarryTheSameLogprobsAsTheWholeAnswer) {
  const json body = {{"prompt", testing::kEarlyStopPrompt}, {"max_tokens", 20}, {"temperature", 0}, {"logprobs", 1}};
  const json whole = ok(kCompletions, body)["choices"][0]["logprobs"];
  json tokens = json::array(), logprobs = json::array();
  for (const auto& e : stream(kCompletions, body))
    if (e.is_object() && !e["choices"][0]["logprobs"].is_null()) {
      const auto& lp = e["choices"][0]["logprobs"];
      EXPECT_EQ(lp["tokens"].size(), 1u) << e;
      for (const auto& t : lp["tokens"]) tokens.push_back(t);
      for (const auto& l : lp["token_logprobs"]) logprobs.push_back(l);
    }
  EXPECT_EQ(tokens, whole["tokens"]);
  EXPECT_EQ(logprobs, whole["token_logprobs"]);

  const json chat = {{"messages", chat_messages(testing::kEarlyStopPrompt)},
                     {"max_tokens", 20},
                     {"temperature", 0},
                     {"logprobs", true},
                     {"top_logprobs", 1}};
  const json chat_whole = ok(kChat, chat)["choices"][0]["logprobs"]["content"];
  json content = json::array();
  for (const auto& e : stream(kChat, chat))
    if (e.is_object() && !e["choices"][0]["logprobs"].is_null())
      for (const auto& c : e["choices"][0]["logprobs"]["content"]) content.push_back(c);
  EXPECT_EQ(content, chat_whole);
}

// Before the fix content had to be a string (a list of parts, or null, was 400).
TEST_F(HttpFeatures, ChatContentAsTextPartsOrNull) {
  const json parts = json::array({{{"type", "text"}, {"text", "Once upon"}}, {{"type", "text"}, {"text", " a time"}}});
  const json messages =
      json::array({{{"role", "system"}, {"content", nullptr}}, {{"role", "user"}, {"content", parts}}});
  const json j = ok(kChat, {{"messages", messages}, {"max_tokens", 12}, {"temperature", 0}});
  EXPECT_EQ(j["choices"][0]["message"]["content"], greedy(kPrompt, 12));
  const json image = {{"type", "image_url"}, {"image_url", {{"url", "http://x/y.png"}}}};
  const json bad = {{"messages", json::array({{{"role", "user"}, {"content", json::array({image})}}})}};
  EXPECT_EQ(error_of(kChat, bad)["param"], "messages");
}

// Before the fix stream_options was ignored: streams never reported usage.
TEST_F(HttpFeatures, IncludeUsageSendsAUsageChunkWithNoChoicesLastBeforeDone) {
  for (const char* path : {kCompletions, kChat}) {
    json body = {{"max_tokens", 10}, {"temperature", 0}};
    if (std::string_view(path) == kChat)
      body["messages"] = chat_messages(kPrompt);
    else
      body["prompt"] = kPrompt;
    const json usage = ok(path, body)["usage"];
    for (const auto& e : stream(path, body)) EXPECT_FALSE(e.is_object() && e.contains("usage")) << path << e;
    body["stream_options"] = {{"include_usage", true}};
    const auto events = stream(path, body);
    ASSERT_GE(events.size(), 3u);
    EXPECT_EQ(events.back(), "[DONE]");
    const json& last = events[events.size() - 2];
    EXPECT_EQ(last["choices"], json::array()) << path;
    EXPECT_EQ(last["usage"], usage) << path;
  }
}

// Before the fix the first chunk had no delta.role, and the OpenAI SDK's
// finalChatCompletion() threw "missing role for choice 0".
TEST_F(HttpFeatures, ChatStreamsFirstChunkOfEachChoiceCarriesTheAssistantRole) {
  const auto events = stream(kChat, {{"messages", chat_messages(kPrompt)}, {"max_tokens", 6}, {"n", 2}, {"seed", 1}});
  std::map<int, json> first;
  for (const auto& e : events)
    if (e.is_object())
      for (const auto& c : e["choices"]) first.emplace(c["index"].get<int>(), c["delta"]);
  ASSERT_EQ(first.size(), 2u);
  for (const auto& [index, delta] : first) EXPECT_EQ(delta.value("role", ""), "assistant") << "choice " << index;
}

}  // namespace
}  // namespace binserve
