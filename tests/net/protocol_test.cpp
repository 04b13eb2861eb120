// The line protocol without sockets: every message, every malformed case,
// and the encoders' fields.
#include "net/protocol.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <nlohmann/json.hpp>

namespace binserve::net {
namespace {

using json = nlohmann::json;
constexpr std::size_t kMax = 1 << 16;

client_message parse_ok(const std::string& line) {
  auto m = parse_client_line(line, kMax);
  EXPECT_TRUE(m.ok()) << line << " -> " << m.error().to_string();
  return m.ok() ? *m : client_message{ping_message{}};
}

// Expects `code` and a message that mentions `needle`.
void expect_error(const std::string& line, error_code code, const std::string& needle) {
  auto m = parse_client_line(line, kMax);
  ASSERT_FALSE(m.ok()) << line;
  EXPECT_EQ(m.error().code(), code) << line << " -> " << m.error().to_string();
  EXPECT_NE(m.error().message().find(needle), std::string::npos) << m.error().message();
}

TEST(Protocol, GenerateWithEveryField) {
  const auto m =
      parse_ok(R"({"type":"generate","id":"a1","prompt":"Once","max_new_tokens":7,"temperature":0.5,)"
               R"("top_p":0.9,"seed":42,"target_length":3,"stream":true,"deadline_ms":250,"stop":["\n","END"],)"
               R"("ignore_eos":true,"min_tokens":2,"presence_penalty":0.5,"frequency_penalty":-0.5,)"
               R"("logit_bias":{"13":-100},"logprobs":2,"priority":-5,"length_hint":6})");
  const auto& g = std::get<generate_message>(m);
  EXPECT_EQ(g.id, client_id{std::string("a1")});
  EXPECT_EQ(g.req.prompt, "Once");
  EXPECT_EQ(g.req.max_new_tokens, 7);
  EXPECT_FLOAT_EQ(g.req.temperature, 0.5f);
  EXPECT_FLOAT_EQ(g.req.top_p, 0.9f);
  EXPECT_EQ(g.req.seed, 42u);
  EXPECT_EQ(g.target_length, 3);
  EXPECT_TRUE(g.stream);
  EXPECT_EQ(g.req.deadline, std::chrono::milliseconds(250));
  EXPECT_EQ(g.req.stop, (std::vector<std::string>{"\n", "END"}));
  EXPECT_TRUE(g.req.ignore_eos);
  EXPECT_EQ(g.req.min_tokens, 2);
  EXPECT_FLOAT_EQ(g.req.presence_penalty, 0.5f);
  EXPECT_FLOAT_EQ(g.req.frequency_penalty, -0.5f);
  ASSERT_EQ(g.req.logit_bias.size(), 1u);
  EXPECT_EQ(g.req.logit_bias[0].token, 13);
  EXPECT_FLOAT_EQ(g.req.logit_bias[0].bias, -100.0f);
  EXPECT_EQ(g.req.logprobs, 2);
  EXPECT_EQ(g.req.priority, -5);
  EXPECT_EQ(g.req.length_hint, 6);
}

TEST(Protocol, GenerateWithPromptIdsAndNumericIdKeepsDefaults) {
  const auto m = parse_ok(R"({"type":"generate","id":17,"prompt_ids":[1,403,407]})"
                          "\r");
  const auto& g = std::get<generate_message>(m);
  EXPECT_EQ(g.id, client_id{std::int64_t{17}});
  EXPECT_EQ(g.req.prompt_ids, (std::vector<int>{1, 403, 407}));
  EXPECT_EQ(g.req.max_new_tokens, request{}.max_new_tokens);
  EXPECT_FALSE(g.stream);
}

TEST(Protocol, CancelStatsPingAuth) {
  EXPECT_EQ(std::get<cancel_message>(parse_ok(R"({"type":"cancel","id":"x"})")).id, client_id{std::string("x")});
  EXPECT_TRUE(std::holds_alternative<stats_message>(parse_ok(R"({"type":"stats"})")));
  EXPECT_TRUE(std::holds_alternative<ping_message>(parse_ok(R"({"type":"ping"})")));
  EXPECT_EQ(std::get<auth_message>(parse_ok(R"({"type":"auth","token":"s3"})")).token, "s3");
}

TEST(Protocol, MalformedLinesNameWhatIsWrong) {
  const auto bad = error_code::protocol_malformed;
  expect_error("not json", bad, "not valid JSON");
  expect_error("[1,2]", bad, "not a JSON object");
  expect_error(R"({"id":1})", bad, "\"type\"");
  expect_error(R"({"type":7})", bad, "\"type\"");
  expect_error(R"({"type":"launch"})", bad, "launch");
  expect_error(R"({"type":"ping","extra":1})", bad, "extra");
  expect_error(R"({"type":"stats","verbose":true})", bad, "verbose");
  expect_error(R"({"type":"generate","id":1,"prompt":"a","max_tokens":5})", bad, "max_tokens");
  expect_error(R"({"type":"generate","prompt":"a"})", bad, "\"id\"");
  expect_error(R"({"type":"generate","id":1.5,"prompt":"a"})", bad, "\"id\"");
  expect_error(R"({"type":"generate","id":[1],"prompt":"a"})", bad, "\"id\"");
  expect_error(R"({"type":"generate","id":1})", bad, "prompt");
  expect_error(R"({"type":"generate","id":1,"prompt":"a","prompt_ids":[1]})", bad, "prompt_ids");
  expect_error(R"({"type":"generate","id":1,"prompt":5})", bad, "\"prompt\"");
  expect_error(R"({"type":"generate","id":1,"prompt_ids":[1,"x"]})", bad, "\"prompt_ids\"");
  expect_error(R"({"type":"generate","id":1,"prompt":"a","max_new_tokens":"9"})", bad, "max_new_tokens");
  expect_error(R"({"type":"generate","id":1,"prompt":"a","max_new_tokens":1e12})", bad, "max_new_tokens");
  expect_error(R"({"type":"generate","id":1,"prompt":"a","temperature":"hot"})", bad, "temperature");
  expect_error(R"({"type":"generate","id":1,"prompt":"a","top_p":null})", bad, "top_p");
  expect_error(R"({"type":"generate","id":1,"prompt":"a","seed":-1})", bad, "seed");
  expect_error(R"({"type":"generate","id":1,"prompt":"a","target_length":2.5})", bad, "target_length");
  expect_error(R"({"type":"generate","id":1,"prompt":"a","stream":1})", bad, "stream");
  expect_error(R"({"type":"generate","id":1,"prompt":"a","deadline_ms":-5})", bad, "deadline_ms");
  expect_error(R"({"type":"generate","id":1,"prompt":"a","priority":"high"})", bad, "\"priority\"");
  expect_error(R"({"type":"generate","id":1,"prompt":"a","priority":1.5})", bad, "\"priority\"");
  expect_error(R"({"type":"generate","id":1,"prompt":"a","length_hint":[4]})", bad, "\"length_hint\"");
  expect_error(R"({"type":"generate","id":1,"prompt":"a","length_hint":1e12})", bad, "\"length_hint\"");
  expect_error(R"({"type":"cancel"})", bad, "\"id\"");
  expect_error(R"({"type":"cancel","id":1,"why":"x"})", bad, "why");
  expect_error(R"({"type":"auth"})", bad, "token");
}

TEST(Protocol, OversizedLineIsInputTooLarge) {
  const std::string line = R"({"type":"generate","id":1,"prompt":")" + std::string(100, 'a') + "\"}";
  auto m = parse_client_line(line, 50);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code(), error_code::input_too_large);
  EXPECT_TRUE(parse_client_line(line, line.size()).ok());
}

TEST(Protocol, TokenAndPongEncoders) {
  const auto t = json::parse(encode_token(std::string("r"), generated_token{2, 403, "Once", std::nullopt}));
  EXPECT_EQ(t, json({{"type", "token"}, {"id", "r"}, {"index", 2}, {"token", 403}, {"text", "Once"}}));
  EXPECT_EQ(json::parse(encode_pong()), json({{"type", "pong"}}));
  // A piece that is part of a UTF-8 character still encodes as valid JSON.
  EXPECT_TRUE(json::accept(encode_token(std::int64_t{1}, generated_token{0, 5, "\xe2\x80", std::nullopt})));
}

TEST(Protocol, TokenEventsCarryLogprobsWhenAskedAndRoundTrip) {
  const generated_token g{3, 7, " cat", token_logprobs{{7, -0.5f}, {{7, -0.5f}, {9, -1.25f}}}};
  const std::string line = encode_token(std::int64_t{4}, g);
  EXPECT_EQ(json::parse(line)["logprobs"],
            json({{"token", 7},
                  {"logprob", -0.5},
                  {"top", {{{"token", 7}, {"logprob", -0.5}}, {{"token", 9}, {"logprob", -1.25}}}}}));
  auto e = parse_server_line(line);
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  const auto& t = std::get<token_event>(*e);
  ASSERT_TRUE(t.logprobs);
  EXPECT_EQ(t.logprobs->top.at(1).token, 9);
  EXPECT_FLOAT_EQ(t.logprobs->chosen.logprob, -0.5f);
}

TEST(Protocol, DoneEncoderHasDocumentedFieldsAndRoundTrips) {
  result r;
  r.text = " there was";
  r.prompt_ids = {1, 2, 3};
  r.generated_ids = {5, 6};
  r.stop_reason = "max_new_tokens";
  r.timings = {1.5, 2.5, 9.0};
  r.predicted_length = 40;
  r.bin = 2;
  r.retries = 1;
  r.seed = 12345678901234567890ull;
  r.logprobs = {{{5, -1.0f}, {}}, {{6, -2.0f}, {}}};
  const std::string line = encode_done(std::int64_t{9}, r);
  const auto j = json::parse(line);
  for (const char* f : {"type", "id", "text", "ids", "stop_reason", "timings", "prompt_tokens", "predicted_length",
                        "bin", "retries", "seed", "logprobs"})
    EXPECT_TRUE(j.contains(f)) << f;
  EXPECT_EQ(j["timings"], json({{"queue_ms", 1.5}, {"first_token_ms", 2.5}, {"total_ms", 9.0}}));
  EXPECT_EQ(j["prompt_tokens"], 3);
  auto e = parse_server_line(line);
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  const auto& d = std::get<done_event>(*e);
  EXPECT_EQ(d.id, client_id{std::int64_t{9}});
  EXPECT_EQ(d.res.generated_ids, r.generated_ids);
  EXPECT_EQ(d.res.text, r.text);
  EXPECT_EQ(d.res.bin, 2);
  EXPECT_EQ(d.prompt_tokens, 3);
  EXPECT_EQ(d.res.seed, r.seed);
  ASSERT_EQ(d.res.logprobs.size(), 2u);
  EXPECT_FLOAT_EQ(d.res.logprobs[1].chosen.logprob, -2.0f);
}

TEST(Protocol, ErrorEncoderUsesWireCodeNamesAndNullId) {
  const auto j = json::parse(encode_error({}, status(error_code::overloaded, "full")));
  EXPECT_EQ(j, json({{"type", "error"}, {"id", nullptr}, {"code", "overloaded"}, {"message", "full"}}));
  auto e = parse_server_line(encode_error(std::string("q"), status(error_code::timed_out, "late")));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(std::get<error_event>(*e).error.code(), error_code::timed_out);
}

TEST(Protocol, StatsEncoderRoundTrips) {
  stats s;
  s.submitted = 5;
  s.cancelled = 2;
  s.tokens_per_s = 12.5;
  s.latency.p99 = 80;
  s.bins = {{1, 0, 50, false, 4, 50, 3, 7, 3.5}, {2, 50, INT_MAX, true, 4, 512, 1, 2, 1}};
  s.latency.count = 6;
  s.latency.sum = 123.5;
  s.tpot.mean = 2.5;
  const auto j = json::parse(encode_stats(s));
  EXPECT_EQ(j["type"], "stats");
  EXPECT_EQ(j["submitted"], 5);
  EXPECT_EQ(j["latency"]["p99"], 80.0);
  auto e = parse_server_line(encode_stats(s));
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  const auto& back = std::get<stats_event>(*e).value;
  EXPECT_EQ(back.cancelled, 2);
  EXPECT_DOUBLE_EQ(back.tokens_per_s, 12.5);
  ASSERT_EQ(back.bins.size(), 2u);
  EXPECT_EQ(back.bins[0].batches, 7);
  EXPECT_FALSE(back.bins[0].retry);
  EXPECT_TRUE(back.bins[1].retry);
  EXPECT_EQ(back.latency.count, 6);
  EXPECT_DOUBLE_EQ(back.latency.sum, 123.5);
  EXPECT_DOUBLE_EQ(back.tpot.mean, 2.5);
}

TEST(Protocol, StatsCarryTheClusterNodes) {
  stats s;
  s.requeued = 4;
  s.executor_failures = 1;
  s.nodes = {{0, "local", true, 1, 10, 80, 0, ""}, {1, "10.0.0.2:7171", false, 0, 3, 24, 1, "lost"}};
  auto e = parse_server_line(encode_stats(s));
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  const auto& back = std::get<stats_event>(*e).value;
  EXPECT_EQ(back.requeued, 4);
  EXPECT_EQ(back.executor_failures, 1);
  ASSERT_EQ(back.nodes.size(), 2u);
  EXPECT_EQ(back.nodes[1].name, "10.0.0.2:7171");
  EXPECT_FALSE(back.nodes[1].connected);
  EXPECT_EQ(back.nodes[1].batches, 3);
  EXPECT_EQ(back.nodes[1].executor_failures, 1);
  EXPECT_EQ(back.nodes[1].problem, "lost");
}

// Fields newer than the protocol's first version (actors/stats_schema.hpp)
// may be missing from an older server's line; the first version's may not.
TEST(Protocol, StatsFromAnOlderServerKeepTheNewerFieldsDefaults) {
  stats s;
  s.completed = 3;
  s.requeued = 2;
  s.latency.count = 3;
  s.bins = {{0, 0, 50, true, 4, 50, 1, 2, 1}};
  json j = json::parse(encode_stats(s));
  for (const char* newer : {"requeued", "executor_failures", "preemptions", "recomputed_tokens", "nodes", "tpot"})
    j.erase(newer);
  j["latency"].erase("count");
  j["latency"].erase("sum");
  j["bins"][0].erase("retry");
  auto e = parse_server_line(j.dump());
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  const auto& back = std::get<stats_event>(*e).value;
  EXPECT_EQ(back.completed, 3);
  EXPECT_EQ(back.requeued, 0);
  EXPECT_EQ(back.latency.count, 0);
  ASSERT_EQ(back.bins.size(), 1u);
  EXPECT_FALSE(back.bins[0].retry);
  j.erase("completed");
  EXPECT_EQ(parse_server_line(j.dump()).error().code(), error_code::protocol_malformed);
  j = json::parse(encode_stats(s));
  j["bins"][0].erase("cap");
  EXPECT_EQ(parse_server_line(j.dump()).error().code(), error_code::protocol_malformed);
}

TEST(Protocol, ClientEncodersParseBack) {
  request r;
  r.prompt = "Hi";
  r.max_new_tokens = 9;
  r.seed = 3;
  r.stop = {"x"};
  r.min_tokens = 2;
  r.logit_bias = {{4, 1.5f}};
  r.logprobs = 0;
  r.priority = 3;
  r.length_hint = 8;
  const auto g = std::get<generate_message>(parse_ok(encode_generate({std::string("z"), r, 0, true})));
  EXPECT_EQ(g.req.prompt, "Hi");
  EXPECT_EQ(g.req.max_new_tokens, 9);
  EXPECT_EQ(g.req.seed, 3u);
  EXPECT_EQ(g.req.stop, r.stop);
  EXPECT_EQ(g.req.min_tokens, 2);
  ASSERT_EQ(g.req.logit_bias.size(), 1u);
  EXPECT_EQ(g.req.logprobs, 0);
  EXPECT_EQ(g.req.priority, 3);
  EXPECT_EQ(g.req.length_hint, 8);
  EXPECT_TRUE(g.stream);
  request unseeded;
  unseeded.prompt = "Hi";
  const json plain = json::parse(encode_generate({std::int64_t{1}, unseeded}));
  EXPECT_FALSE(plain.contains("priority")) << "fields at their defaults are left out";
  EXPECT_FALSE(plain.contains("length_hint"));
  EXPECT_FALSE(std::get<generate_message>(parse_ok(encode_generate({std::int64_t{1}, unseeded}))).req.seed)
      << "an absent seed stays absent: the server draws one";
  EXPECT_TRUE(std::holds_alternative<cancel_message>(parse_ok(encode_cancel(std::int64_t{4}))));
  EXPECT_EQ(std::get<auth_message>(parse_ok(encode_auth("k"))).token, "k");
}

TEST(Protocol, ServerLineThatIsNotAnEventIsMalformed) {
  EXPECT_EQ(parse_server_line("{").error().code(), error_code::protocol_malformed);
  EXPECT_EQ(parse_server_line(R"({"type":"token"})").error().code(), error_code::protocol_malformed);
  EXPECT_EQ(parse_server_line(R"({"type":"zzz"})").error().code(), error_code::protocol_malformed);
}

// Found by protocol_fuzz (tests/fuzz/corpus/protocol/crash_done_ids_float_overflow.txt):
// numbers out of their field's range were converted with undefined behaviour.
TEST(Protocol, ServerLineNumbersOutOfRangeAreMalformed) {
  const std::string done_head = R"({"type":"done","id":"r1","text":"","stop_reason":"stop_token",)"
                                R"("timings":{"queue_ms":1,"first_token_ms":1,"total_ms":1},)"
                                R"("prompt_tokens":1,"predicted_length":1,"bin":0,"retries":0,"ids":)";
  EXPECT_TRUE(parse_server_line(done_head + "[1,2]}").ok());
  for (const char* ids : {"[4e99]", "[1.5]", "[4099999999]", "[true]", "7"}) {
    const auto e = parse_server_line(done_head + ids + "}");
    ASSERT_FALSE(e.ok()) << ids;
    EXPECT_EQ(e.error().code(), error_code::protocol_malformed) << ids;
    EXPECT_NE(e.error().message().find("ids"), std::string::npos) << e.error().message();
  }
  EXPECT_FALSE(parse_server_line(R"({"type":"token","id":1,"index":1e300,"token":1,"text":""})").ok());
  EXPECT_FALSE(parse_server_line(R"({"type":"token","id":1,"index":0,"token":-3e10,"text":""})").ok());
}

}  // namespace
}  // namespace binserve::net
