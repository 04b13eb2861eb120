// The sampling controls of the HTTP API, through the real server on
// stories260K (issue 14): a drawn and reported seed, presence and frequency
// penalties, logit_bias, vLLM's ignore_eos and min_tokens. Before the fix
// the HTTP API ignored every one of these fields: each test here compares
// with the direct greedy reference, which the old server returned unchanged.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "tests/net/stories_http.hpp"

namespace binserve {
namespace {

namespace http = boost::beast::http;
using json = nlohmann::json;
using testing::chat_messages;
using testing::kChat;
using testing::kCompletions;

const char* kPrompt = "Once upon a time";
// Its greedy text repeats "He liked to play with his toys." three times.
const char* kRepetitive = "Tom had a red ball";

using testing::greedy_ids;

class HttpSampling : public testing::stories_http_test {};

// Issue 14 item 6: before the fix a request without a seed sampled with
// seed 0, so 20 concurrent unseeded chats at temperature 1 gave one answer.
TEST_F(HttpSampling, UnseededRequestsSampleIndependentlyAndReportASeedThatReproducesThem) {
  const json body = {{"messages", chat_messages(kPrompt)}, {"max_tokens", 12}, {"temperature", 1}};
  boost::asio::io_context io;
  std::vector<boost::asio::ip::tcp::socket> sockets;
  for (int i = 0; i < 20; ++i) {
    sockets.push_back(testing::connect_to(io, port()));
    testing::send_request(sockets.back(), http::verb::post, kChat, body.dump());
  }
  std::vector<json> choices;
  std::set<std::string> texts;
  for (auto& s : sockets) {
    boost::beast::flat_buffer buf;
    const auto r = testing::receive_reply(s, buf);
    ASSERT_EQ(r.status, 200) << r.body;
    choices.push_back(r.j()["choices"][0]);
    texts.insert(choices.back()["message"]["content"].get<std::string>());
  }
  EXPECT_GT(texts.size(), 1u) << "20 unseeded answers at temperature 1 were all the same";
  for (const json& c : {choices[0], choices[1]}) {
    ASSERT_TRUE(c.contains("seed") && c["seed"].is_number_unsigned()) << c;
    json again = body;
    again["seed"] = c["seed"];
    EXPECT_EQ(ok(kChat, again)["choices"][0]["message"]["content"], c["message"]["content"]);
  }
}

TEST_F(HttpSampling, PresenceAndFrequencyPenaltiesChangeTheGreedyText) {
  const std::string text = greedy(kRepetitive, 40);
  for (const char* penalty : {"presence_penalty", "frequency_penalty"}) {
    const json j = ok(kCompletions, {{"prompt", kRepetitive}, {"max_tokens", 40}, {"temperature", 0}, {penalty, 2}});
    EXPECT_NE(j["choices"][0]["text"], text) << penalty;
  }
}

// +100 outweighs every logit of this model: greedy emits only that token.
TEST_F(HttpSampling, LogitBiasOfPlusHundredMakesGreedyEmitThatToken) {
  const int token = 400;
  const std::string piece = svc_->token_text(token);
  ASSERT_FALSE(piece.empty());
  const json j =
      ok(kCompletions,
         {{"prompt", kPrompt}, {"max_tokens", 5}, {"temperature", 0}, {"logit_bias", {{std::to_string(token), 100}}}});
  EXPECT_EQ(j["choices"][0]["text"], piece + piece + piece + piece + piece);
}

TEST_F(HttpSampling, LogitBiasOfMinusHundredBansATokenTheGreedyTextHad) {
  const std::vector<int> ids = greedy_ids(kPrompt, 20);
  ASSERT_FALSE(ids.empty());
  const int banned = ids.front();
  const json j = ok(kCompletions, {{"prompt", kPrompt},
                                   {"max_tokens", 20},
                                   {"temperature", 0},
                                   {"logprobs", 0},
                                   {"logit_bias", {{std::to_string(banned), -100}}}});
  EXPECT_NE(j["choices"][0]["text"], greedy(kPrompt, 20));
  for (const auto& t : j["choices"][0]["logprobs"]["tokens"]) EXPECT_NE(t, svc_->token_text(banned));
}

// Checked by the service, not the parser: the message names logit_bias.
TEST_F(HttpSampling, LogitBiasOutsideTheVocabularyIs400) {
  for (const char* token : {"100000", "-1"}) {
    const json e = error_of(kCompletions, {{"prompt", kPrompt}, {"logit_bias", {{token, 5}}}});
    EXPECT_NE(e.value("message", "").find("logit_bias"), std::string::npos) << e;
  }
  EXPECT_EQ(error_of(kCompletions, {{"prompt", kPrompt}, {"logit_bias", {{"abc", 5}}}})["param"], "logit_bias");
}

// The prompt's greedy text ends with the model's stop token a few tokens in.
TEST_F(HttpSampling, IgnoreEosRunsToMaxTokens) {
  const std::vector<int> ids = greedy_ids(testing::kEarlyStopPrompt, 40);
  ASSERT_LT(ids.size(), 10u) << "precondition: the greedy text stops early";
  const json body = {{"prompt", testing::kEarlyStopPrompt}, {"max_tokens", 20}, {"temperature", 0}};
  const json plain = ok(kCompletions, body);
  EXPECT_EQ(plain["usage"]["completion_tokens"], ids.size());
  EXPECT_EQ(plain["choices"][0]["finish_reason"], "stop");
  json ignoring = body;
  ignoring["ignore_eos"] = true;
  const json j = ok(kCompletions, ignoring);
  EXPECT_EQ(j["usage"]["completion_tokens"], 20);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["choices"][0]["text"].get<std::string>().rfind(plain["choices"][0]["text"].get<std::string>(), 0), 0u);
}

TEST_F(HttpSampling, MinTokensKeepsTheStopTokenAwayThatLong) {
  const std::vector<int> ids = greedy_ids(testing::kEarlyStopPrompt, 40);
  ASSERT_LT(ids.size(), 10u) << "precondition: the greedy text stops early";
  const int min_tokens = static_cast<int>(ids.size()) + 5;
  const json j =
      ok(kCompletions,
         {{"prompt", testing::kEarlyStopPrompt}, {"max_tokens", 30}, {"temperature", 0}, {"min_tokens", min_tokens}});
  EXPECT_GE(j["usage"]["completion_tokens"].get<int>(), min_tokens);
  // More than max_tokens cannot be met.
  EXPECT_EQ(error_of(kCompletions, {{"prompt", kPrompt}, {"max_tokens", 5}, {"min_tokens", 6}})["code"],
            "invalid_argument");
}

}  // namespace
}  // namespace binserve
