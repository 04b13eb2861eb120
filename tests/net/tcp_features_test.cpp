// The request fields of the TCP protocol on stories260K, over raw sockets
// (issue 14): temperature bounded like HTTP, stop strings, ignore_eos,
// min_tokens, logit_bias, logprobs on done and token events, the seed used
// reported on done, priority and length_hint, and `generate` refused during
// a drain. Answers are
// checked against the direct greedy reference.
#include "net/tcp_server.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/net/line_socket.hpp"
#include "tests/net/stories.hpp"

namespace binserve::net {
namespace {

using json = nlohmann::json;
using testing::line_socket;

const char* kPrompt = "Once upon a time";

class TcpFeatures : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::has_shared(testing::kStoriesModel)) return;
    svc_ = std::move(service::start(testing::stories_service_config()).value());
    server_config sc;
    sc.tcp_port = 0;
    server_ = std::move(start_tcp_server(*svc_, sc).value());
  }
  static void TearDownTestSuite() {
    server_.reset();
    svc_.reset();
  }
  void SetUp() override { BINSERVE_REQUIRE_SHARED(testing::kStoriesModel); }

  // Sends generate `fields` (id 1) on a fresh connection; every event about
  // it, its final one last.
  static std::vector<json> run(const json& fields) {
    line_socket s(server_->port());
    json g = {{"type", "generate"}, {"id", 1}};
    g.update(fields);
    s.send(g.dump() + "\n");
    std::vector<json> events;
    for (json e = s.read(); e.is_object(); e = s.read()) {
      events.push_back(e);
      if (e["type"] != "token") break;
    }
    return events;
  }
  // The done event of generate `fields`; the test fails if there is none.
  static json done(const json& fields) {
    const auto events = run(fields);
    const json last = events.empty() ? json() : events.back();
    EXPECT_EQ(last.value("type", ""), "done") << fields << " -> " << last;
    return last.value("type", "") == "done" ? last : json::object();
  }

  inline static std::unique_ptr<service> svc_;
  inline static std::unique_ptr<net::front_end> server_;
};

// Before the fix (68c5169) any temperature >= 0 was accepted over TCP,
// where HTTP refused more than 2.
TEST_F(TcpFeatures, TemperatureAboveTwoIsInvalidArgumentNamingIt) {
  for (const auto& [field, value] :
       {std::pair<const char*, double>{"temperature", 5}, {"temperature", 2.5}, {"top_p", 0}, {"top_p", 1.5}}) {
    const auto events = run({{"prompt", kPrompt}, {field, value}});
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0]["type"], "error");
    EXPECT_EQ(events[0]["id"], 1);
    EXPECT_EQ(events[0]["code"], "invalid_argument") << events[0];
    EXPECT_NE(events[0]["message"].get<std::string>().find(field), std::string::npos) << events[0];
  }
  EXPECT_FALSE(done({{"prompt", kPrompt}, {"max_new_tokens", 2}, {"temperature", 2}}).empty());
}

// The done text is cut before the stop string; the token events are the
// tokens as generated, the ones that complete the stop string included.
TEST_F(TcpFeatures, StopStringEndsGenerationAndDoneTextIsCutBeforeIt) {
  const auto [stop, before] = testing::middle_stop(testing::greedy_text(kPrompt, 40));
  const json d = done({{"prompt", kPrompt}, {"max_new_tokens", 40}, {"stop", stop}});
  EXPECT_EQ(d["text"], before);
  EXPECT_EQ(d["stop_reason"], "stop_string");
  const auto events =
      run({{"prompt", kPrompt}, {"max_new_tokens", 40}, {"stop", json::array({stop})}, {"stream", true}});
  std::string streamed;
  for (const json& e : events)
    if (e["type"] == "token") streamed += e["text"].get<std::string>();
  EXPECT_EQ(events.back()["text"], before);
  EXPECT_EQ(streamed.rfind(before + stop, 0), 0u) << streamed;
}

TEST_F(TcpFeatures, IgnoreEosRunsToMaxNewTokensAndMinTokensAtLeastThatLong) {
  const std::vector<int> greedy = testing::greedy_ids(testing::kEarlyStopPrompt, 40);
  ASSERT_LT(greedy.size(), 10u) << "precondition: the greedy text stops early";
  const json plain = done({{"prompt", testing::kEarlyStopPrompt}, {"max_new_tokens", 20}});
  EXPECT_EQ(plain["ids"], json(greedy));
  EXPECT_EQ(plain["stop_reason"], "stop_token");
  const json ignoring = done({{"prompt", testing::kEarlyStopPrompt}, {"max_new_tokens", 20}, {"ignore_eos", true}});
  EXPECT_EQ(ignoring["ids"].size(), 20u);
  EXPECT_EQ(ignoring["stop_reason"], "max_new_tokens");
  const int min_tokens = static_cast<int>(greedy.size()) + 5;
  const json at_least =
      done({{"prompt", testing::kEarlyStopPrompt}, {"max_new_tokens", 30}, {"min_tokens", min_tokens}});
  EXPECT_GE(at_least["ids"].size(), static_cast<std::size_t>(min_tokens));
}

TEST_F(TcpFeatures, LogitBiasOfPlusHundredMakesGreedyEmitThatToken) {
  const json d = done({{"prompt", kPrompt}, {"max_new_tokens", 5}, {"logit_bias", {{"400", 100}}}});
  EXPECT_EQ(d["ids"], json(std::vector<int>(5, 400)));
  const auto outside = run({{"prompt", kPrompt}, {"logit_bias", {{"100000", 1}}}});
  EXPECT_EQ(outside.back()["code"], "invalid_argument") << outside.back();
}

// Greedy: each token is its own most likely one.
TEST_F(TcpFeatures, LogprobsOnDoneAndOnEachStreamedToken) {
  const json d = done({{"prompt", kPrompt}, {"max_new_tokens", 8}, {"logprobs", 2}});
  ASSERT_EQ(d["logprobs"].size(), d["ids"].size()) << d;
  for (std::size_t i = 0; i < d["ids"].size(); ++i) {
    const json& lp = d["logprobs"][i];
    EXPECT_EQ(lp["token"], d["ids"][i]);
    ASSERT_EQ(lp["top"].size(), 2u);
    EXPECT_EQ(lp["top"][0]["token"], lp["token"]);
    EXPECT_EQ(lp["top"][0]["logprob"], lp["logprob"]);
    EXPECT_GE(lp["top"][0]["logprob"].get<float>(), lp["top"][1]["logprob"].get<float>());
  }
  EXPECT_FALSE(done({{"prompt", kPrompt}, {"max_new_tokens", 2}}).contains("logprobs"));
  const auto events = run({{"prompt", kPrompt}, {"max_new_tokens", 8}, {"logprobs", 2}, {"stream", true}});
  ASSERT_EQ(events.size(), 9u);
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    EXPECT_EQ(events[i]["logprobs"]["token"], events[i]["token"]);
    EXPECT_EQ(events[i]["logprobs"], d["logprobs"][i]);
  }
}

// Issue 14 item 6, over TCP: an unseeded request draws its seed and
// reports it; sent back as `seed`, it reproduces the answer.
TEST_F(TcpFeatures, DoneReportsTheSeedThatReproducesAnUnseededSampledRequest) {
  const json first = done({{"prompt", kPrompt}, {"max_new_tokens", 16}, {"temperature", 1}});
  ASSERT_TRUE(first.contains("seed") && first["seed"].is_number_unsigned()) << first;
  const json again = done({{"prompt", kPrompt}, {"max_new_tokens", 16}, {"temperature", 1}, {"seed", first["seed"]}});
  EXPECT_EQ(again["ids"], first["ids"]);
  EXPECT_EQ(again["seed"], first["seed"]);
  EXPECT_EQ(done({{"prompt", kPrompt}, {"max_new_tokens", 2}, {"seed", 7}})["seed"], 7);
}

// priority and length_hint reach the service: the hint is the prediction
// (otherwise the fixed predictor's 128, clamped to max_new_tokens 12;
// hint_weight is 1 by default), neither changes the text, and values out of
// range are invalid_argument naming them.
TEST_F(TcpFeatures, PriorityAndLengthHintReachTheServiceAndBoundsNameTheField) {
  const json plain = done({{"prompt", kPrompt}, {"max_new_tokens", 12}});
  EXPECT_EQ(plain["predicted_length"], 12);
  const json hinted = done({{"prompt", kPrompt}, {"max_new_tokens", 12}, {"priority", 7}, {"length_hint", 9}});
  EXPECT_EQ(hinted["predicted_length"], 9);
  EXPECT_EQ(hinted["ids"], plain["ids"]);
  for (const auto& [field, value] :
       {std::pair<const char*, int>{"priority", 1001}, {"priority", -1001}, {"length_hint", 13}, {"length_hint", -1}}) {
    const auto events = run({{"prompt", kPrompt}, {"max_new_tokens", 12}, {field, value}});
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0]["code"], "invalid_argument") << events[0];
    EXPECT_EQ(events[0]["message"].get<std::string>().rfind(field, 0), 0u) << events[0];
  }
}

// A draining server refuses new work by id and keeps the connection.
TEST(TcpFeaturesDrain, GenerateDuringADrainIsShuttingDownAndTheConnectionStaysUsable) {
  BINSERVE_REQUIRE_SHARED(testing::kStoriesModel);
  auto svc = std::move(service::start(testing::stories_service_config()).value());
  server_config sc;
  sc.tcp_port = 0;
  auto server = std::move(start_tcp_server(*svc, sc).value());
  line_socket s(server->port());
  s.send(R"({"type":"ping"})"
         "\n");
  EXPECT_EQ(s.read()["type"], "pong");
  server->begin_drain();
  s.send(R"({"type":"generate","id":"late","prompt":"Once","max_new_tokens":2})"
         "\n"
         R"({"type":"ping"})"
         "\n");
  const json e = s.read();
  EXPECT_EQ(e["type"], "error");
  EXPECT_EQ(e["id"], "late");
  EXPECT_EQ(e["code"], "shutting_down");
  EXPECT_EQ(s.read()["type"], "pong");
}

}  // namespace
}  // namespace binserve::net
