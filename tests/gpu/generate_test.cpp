// validate_request's checks of the request fields (each error names its
// field) and sample_rows: the backend's fast path for rows without rules,
// the host path (processed logits, same random stream) for the others, and
// logprobs from the raw logits either way.
#include "gpu/generate.hpp"

#include <cmath>

#include <gtest/gtest.h>

#include "gpu/null_backend.hpp"
#include "gpu/tokenizer.hpp"
#include "tests/test_paths.hpp"

namespace binserve {
namespace {

// ---- validate_request ----------------------------------------------------------

std::shared_ptr<const model> dummy_model() {
  auto m = load_model("dummy:stories260k");  // vocabulary 512, n_ctx 512
  EXPECT_TRUE(m.ok()) << m.error().to_string();
  return std::make_shared<const model>(std::move(*m));
}

generation_request valid_request() {
  generation_request r;
  r.prompt_ids = {1, 300};
  r.max_new_tokens = 10;
  return r;
}

// The request `change` makes of a valid one must fail with invalid_argument
// naming `field`.
template <class F>
void expect_rejected(const model& m, const char* field, F change) {
  generation_request r = valid_request();
  change(r);
  const status s = validate_request(r, m);
  EXPECT_EQ(s.code(), error_code::invalid_argument) << field << ": " << s.to_string();
  EXPECT_NE(s.message().find(field), std::string::npos) << s.message();
}

TEST(ValidateRequest, EachNewFieldIsCheckedAndNamed) {
  const auto m = dummy_model();
  const float nan = std::nanf("");
  expect_rejected(*m, "min_tokens", [](auto& r) { r.rules.min_tokens = -1; });
  expect_rejected(*m, "min_tokens", [](auto& r) { r.rules.min_tokens = 11; });
  expect_rejected(*m, "presence_penalty", [](auto& r) { r.rules.presence_penalty = 2.01f; });
  expect_rejected(*m, "presence_penalty", [&](auto& r) { r.rules.presence_penalty = nan; });
  expect_rejected(*m, "frequency_penalty", [](auto& r) { r.rules.frequency_penalty = -2.5f; });
  expect_rejected(*m, "frequency_penalty", [&](auto& r) { r.rules.frequency_penalty = nan; });
  expect_rejected(*m, "logit_bias", [](auto& r) { r.rules.bias = {{512, 1.0f}}; });
  expect_rejected(*m, "logit_bias", [](auto& r) { r.rules.bias = {{-1, 1.0f}}; });
  expect_rejected(*m, "logit_bias", [](auto& r) { r.rules.bias = {{5, 100.5f}}; });
  expect_rejected(*m, "logit_bias", [&](auto& r) { r.rules.bias = {{5, nan}}; });
  expect_rejected(*m, "logit_bias", [](auto& r) { r.rules.bias = {{5, 1.0f}, {6, 1.0f}, {5, -1.0f}}; });
  expect_rejected(*m, "logprobs", [](auto& r) { r.logprobs = 21; });
  expect_rejected(*m, "logprobs", [](auto& r) { r.logprobs = -2; });
  expect_rejected(*m, "stop", [](auto& r) { r.stop.assign(17, "x"); });
  expect_rejected(*m, "stop", [](auto& r) { r.stop = {"ok", ""}; });
  expect_rejected(*m, "stop", [](auto& r) { r.stop = {std::string(257, 'x')}; });
  expect_rejected(*m, "temperature", [](auto& r) { r.sampling.temperature = 2.01f; });
  expect_rejected(*m, "temperature", [&](auto& r) { r.sampling.temperature = nan; });
  expect_rejected(*m, "top_p", [](auto& r) { r.sampling.top_p = 0.0f; });
}

TEST(ValidateRequest, TheLimitsThemselvesAreAccepted) {
  const auto m = dummy_model();
  generation_request r = valid_request();
  r.rules = {-2.0f, 2.0f, {{0, -100.0f}, {511, 100.0f}}, 10};
  r.logprobs = kMaxLogprobs;
  r.stop.assign(kMaxStopStrings, std::string(kMaxStopStringBytes, 'x'));
  r.sampling.temperature = 2.0f;
  EXPECT_TRUE(validate_request(r, *m).ok()) << validate_request(r, *m).to_string();
  r.logprobs = 0;
  EXPECT_TRUE(validate_request(r, *m).ok());
  r.logprobs = -1;
  EXPECT_TRUE(validate_request(r, *m).ok());
}

// ---- sample_rows on the null backend: zero logits, the fast path always
// samples kNullToken -------------------------------------------------------------

struct null_fixture {
  null_fixture() {
    auto nb = make_null_backend(dummy_model(), backend_options{});
    EXPECT_TRUE(nb.ok()) << nb.error().to_string();
    b = std::move(*nb);
  }
  // One forward of `n` one-token chunks, so that sample_rows has n rows.
  void forward(int n) {
    std::vector<sequence_chunk> chunks;
    for (int i = 0; i < n; ++i) {
      auto seq = b->open_sequence(8);
      ASSERT_TRUE(seq.ok());
      chunks.push_back({*seq, std::span<const int>(&kBos, 1)});
    }
    ASSERT_TRUE(b->forward(chunks).ok());
  }
  static constexpr int kBos = 1;
  std::unique_ptr<backend> b;
};

TEST(SampleRows, ARowWithoutRulesGetsTheBackendsToken) {
  null_fixture f;
  f.forward(1);
  const generation_request r = valid_request();
  const std::vector<sampling_row> rows = {{&r, {}}};
  const auto out = sample_rows(*f.b, rows).value();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].token, kNullToken);
  EXPECT_FALSE(out[0].logprobs.has_value());
}

TEST(SampleRows, RowsWithRulesSampleOnTheHostFromProcessedLogits) {
  null_fixture f;
  f.forward(3);
  generation_request plain = valid_request(), biased = valid_request(), min_tokens = valid_request();
  biased.rules.bias = {{7, 1.0f}};
  min_tokens.rules.min_tokens = 1;  // masks the stop tokens 1 and 2 of all-zero logits
  const std::vector<int> none;
  const std::vector<sampling_row> rows = {{&plain, none}, {&biased, none}, {&min_tokens, none}};
  const auto out = sample_rows(*f.b, rows).value();
  EXPECT_EQ(out[0].token, kNullToken);
  EXPECT_EQ(out[1].token, 7) << "greedy on the biased logits";
  EXPECT_EQ(out[2].token, 0) << "greedy: the first token that is not masked";
  const std::vector<int> one = {5};  // min_tokens reached: the fast path again
  const std::vector<sampling_row> later = {{&min_tokens, one}};
  f.forward(1);
  EXPECT_EQ(sample_rows(*f.b, later).value()[0].token, kNullToken);
}

TEST(SampleRows, LogprobsAloneKeepTheFastPathsToken) {
  null_fixture f;
  f.forward(1);
  generation_request r = valid_request();
  r.logprobs = 2;
  const std::vector<sampling_row> rows = {{&r, {}}};
  const auto out = sample_rows(*f.b, rows).value();
  EXPECT_EQ(out[0].token, kNullToken);
  ASSERT_TRUE(out[0].logprobs.has_value());
  EXPECT_EQ(out[0].logprobs->chosen.token, kNullToken);
  EXPECT_NEAR(out[0].logprobs->chosen.logprob, -std::log(512.0), 1e-5);  // uniform
  ASSERT_EQ(out[0].logprobs->top.size(), 2u);
  EXPECT_EQ(out[0].logprobs->top[0].token, 0);
  EXPECT_EQ(out[0].logprobs->top[1].token, 1);
}

// ---- sample_rows on stories260K: real logits ----------------------------------------

std::unique_ptr<backend> stories_backend() {
  auto m = load_model(testing::shared_path("models/stories260K.bin"));
  EXPECT_TRUE(m.ok()) << m.error().to_string();
  auto b = make_backend(std::make_shared<const model>(std::move(*m)), backend_options{.threads = 1});
  EXPECT_TRUE(b.ok()) << b.error().to_string();
  return std::move(*b);
}

// Runs `text`'s prompt through a fresh sequence of b: b.logits(0) is then
// the distribution of the token after it.
void forward_prompt(backend& b, const std::string& text) {
  const std::vector<int> prompt = tokenizer(b.served_model().vocab).encode(text);
  auto seq = b.open_sequence(32);
  ASSERT_TRUE(seq.ok());
  const std::vector<sequence_chunk> chunks = {{*seq, prompt}};
  ASSERT_TRUE(b.forward(chunks).ok());
}

TEST(SampleRows, LogprobsAreThoseOfTheRawLogitsOfTheChosenToken) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  auto b = stories_backend();
  ASSERT_NO_FATAL_FAILURE(forward_prompt(*b, "Once upon a time"));
  const int natural = argmax(b->logits(0));
  generation_request r = valid_request();
  r.logprobs = 5;
  r.rules.bias = {{natural, -100.0f}};  // greedy must take another token now
  const std::vector<sampling_row> rows = {{&r, {}}};
  const sampled_token t = sample_rows(*b, rows).value()[0];
  EXPECT_NE(t.token, natural);
  ASSERT_TRUE(t.logprobs.has_value());
  const token_logprobs want = logprobs_of(b->logits(0), t.token, 5);  // raw, not biased
  EXPECT_EQ(t.logprobs->chosen.token, t.token);
  EXPECT_EQ(t.logprobs->chosen.logprob, want.chosen.logprob);
  ASSERT_EQ(t.logprobs->top.size(), 5u);
  EXPECT_EQ(t.logprobs->top[0].token, natural) << "the raw distribution's favourite";
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(t.logprobs->top[i].token, want.top[i].token) << i;
    EXPECT_EQ(t.logprobs->top[i].logprob, want.top[i].logprob) << i;
  }
}

TEST(SampleRows, TheHostPathDrawsFromTheSameRandomStreamAsTheBackend) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  auto b = stories_backend();
  ASSERT_NO_FATAL_FAILURE(forward_prompt(*b, "The cat sat"));
  const std::vector<int> generated = {5, 6, 7};  // the step index is 3
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    generation_request fast = valid_request(), host = valid_request();
    fast.sampling = host.sampling = {1.0f, 1.0f, seed};
    host.rules.bias = {{0, 0.0f}};  // active, changes nothing
    const std::vector<sampling_row> rows = {{&fast, generated}};
    const std::vector<sampling_row> host_rows = {{&host, generated}};
    EXPECT_EQ(sample_rows(*b, rows).value()[0].token, sample_rows(*b, host_rows).value()[0].token) << seed;
  }
}

}  // namespace
}  // namespace binserve
