// The request fields of the embedding API through the whole actor pipeline
// on the real stories260K model: the drawn seed, min_tokens, ignore_eos,
// logprobs, penalties and logit_bias. Each result must also equal
// generate_batch's for the same request (tests/stories_reference.hpp): the
// executor path and the batch generator apply the same rules.
#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include "binserve/service.hpp"
#include "tests/stories_reference.hpp"

namespace binserve {
namespace {

using testing::stories_reference;

std::unique_ptr<service> start(const std::string& policy) {
  auto svc = service::start(stories_reference::service_for(policy));
  EXPECT_TRUE(svc.ok()) << svc.error().to_string();
  return svc.ok() ? std::move(*svc) : nullptr;
}

result run(service& svc, const request& r) {
  auto out = svc.submit(r).future.get();
  EXPECT_TRUE(out.ok()) << out.error().to_string();
  return out.ok() ? *out : result{};
}

const stories_reference& reference() {
  static const stories_reference ref;
  return ref;
}

// A prompt whose greedy continuation ends with a stop token after a few
// tokens: most of a story the model tells (its first 190 of 208 tokens).
const std::string& short_prompt() {
  static const std::string prompt = [] {
    const std::string start = "Lily wanted a puppy";
    const generation_result story = reference().run({.prompt = start, .max_new_tokens = 190});
    return start + reference().text(start, story.generated_ids);
  }();
  return prompt;
}

class RequestFields : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!testing::has_shared(stories_reference::kModel)) GTEST_SKIP() << "stories260K is absent";
    svc_ = start(GetParam());
    ASSERT_NE(svc_, nullptr);
  }
  std::unique_ptr<service> svc_;
};

TEST_P(RequestFields, UnseededRequestsDrawSeedsThatReproduceTheirText) {
  std::vector<submission> subs;
  for (int i = 0; i < 20; ++i)
    subs.push_back(svc_->submit({.prompt = "Once upon a time", .temperature = 1.0f, .max_new_tokens = 24}));
  std::vector<result> results;
  std::set<std::string> texts;
  std::set<std::uint64_t> seeds;
  for (submission& s : subs) {
    auto r = s.future.get();
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    texts.insert(r->text);
    seeds.insert(r->seed);
    results.push_back(std::move(*r));
  }
  EXPECT_GT(texts.size(), 1u) << "unseeded sampled requests must not all give the same answer";
  EXPECT_EQ(seeds.size(), 20u) << "each result reports its own drawn seed";
  for (int i = 0; i < 4; ++i) {
    const request again{
        .prompt = "Once upon a time", .temperature = 1.0f, .seed = results[i].seed, .max_new_tokens = 24};
    const result r = run(*svc_, again);
    EXPECT_EQ(r.text, results[i].text) << i;
    EXPECT_EQ(r.generated_ids, results[i].generated_ids) << i;
    EXPECT_EQ(r.seed, results[i].seed);
    EXPECT_EQ(r.generated_ids, reference().run(again).generated_ids) << i;
  }
}

// short_prompt()'s greedy run, which stops early.
result natural_run(service& svc) {
  const result natural = run(svc, {.prompt = short_prompt(), .max_new_tokens = 200});
  EXPECT_EQ(natural.stop_reason, "stop_token");
  EXPECT_LT(natural.generated_ids.size(), 40u);
  return natural;
}

TEST_P(RequestFields, MinTokensOutlastsTheNaturalStop) {
  const result natural = natural_run(*svc_);
  const int length = static_cast<int>(natural.generated_ids.size());
  request longer{.prompt = short_prompt(), .max_new_tokens = 200};
  longer.min_tokens = length + 10;
  const result r = run(*svc_, longer);
  EXPECT_GE(static_cast<int>(r.generated_ids.size()), length + 10);
  EXPECT_TRUE(std::equal(natural.generated_ids.begin(), natural.generated_ids.end(), r.generated_ids.begin()))
      << "the tokens before the natural stop are unchanged";
  EXPECT_EQ(r.generated_ids, reference().run(longer).generated_ids);
}

TEST_P(RequestFields, IgnoreEosRunsToMaxNewTokens) {
  const int length = static_cast<int>(natural_run(*svc_).generated_ids.size());
  const request r{.prompt = short_prompt(), .max_new_tokens = length + 10, .ignore_eos = true};
  const result out = run(*svc_, r);
  EXPECT_EQ(out.stop_reason, "max_new_tokens");
  ASSERT_EQ(static_cast<int>(out.generated_ids.size()), length + 10);
  const std::vector<int>& stops = reference().served_model().stop_tokens;
  EXPECT_NE(std::find(stops.begin(), stops.end(), out.generated_ids[length]), stops.end()) << "the stop token is kept";
  EXPECT_EQ(out.generated_ids, reference().run(r).generated_ids);
}

TEST_P(RequestFields, LogprobsDescribeEveryGeneratedTokenAndAreStreamed) {
  std::mutex mu;
  std::map<int, token_logprobs> streamed;
  const request r{.prompt = short_prompt(), .max_new_tokens = 200, .logprobs = 3};
  auto sub = svc_->submit(r, [&](request_id, const generated_token& t) {
    std::lock_guard lock(mu);
    if (t.logprobs) streamed[t.index] = *t.logprobs;
  });
  auto out = sub.future.get();
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  ASSERT_EQ(out->stop_reason, "stop_token");
  ASSERT_EQ(out->logprobs.size(), out->generated_ids.size()) << "the stop token's is dropped";
  std::lock_guard lock(mu);
  EXPECT_EQ(streamed.size(), out->generated_ids.size()) << "every kept token streamed, not the stop token";
  for (size_t i = 0; i < out->logprobs.size(); ++i) {
    const token_logprobs& lp = out->logprobs[i];
    EXPECT_EQ(lp.chosen.token, out->generated_ids[i]) << i;
    ASSERT_EQ(lp.top.size(), 3u) << i;
    for (size_t k = 1; k < lp.top.size(); ++k) EXPECT_GE(lp.top[k - 1].logprob, lp.top[k].logprob) << i;
    EXPECT_EQ(lp.top[0].token, lp.chosen.token) << "greedy takes the most likely token";
    EXPECT_EQ(lp.chosen.logprob, lp.top[0].logprob) << i;
    EXPECT_LT(lp.chosen.logprob, 0.0f);
    EXPECT_EQ(streamed[static_cast<int>(i)].chosen.token, lp.chosen.token) << i;
    EXPECT_EQ(streamed[static_cast<int>(i)].chosen.logprob, lp.chosen.logprob) << i;
    EXPECT_EQ(streamed[static_cast<int>(i)].top.size(), lp.top.size()) << i;
  }
  const generation_result direct = reference().run(r);
  ASSERT_EQ(direct.logprobs.size(), out->logprobs.size());
  for (size_t i = 0; i < direct.logprobs.size(); ++i)
    EXPECT_EQ(direct.logprobs[i].chosen.logprob, out->logprobs[i].chosen.logprob) << i;
}

TEST_P(RequestFields, ALargeLogitBiasMakesGreedyEmitItsToken) {
  const int token = reference().tok().encode("dog", false).back();
  const request r{.prompt = "Once upon a time", .max_new_tokens = 8, .logit_bias = {{token, 100.0f}}};
  const result out = run(*svc_, r);
  EXPECT_EQ(out.generated_ids, std::vector<int>(8, token));
  EXPECT_EQ(out.generated_ids, reference().run(r).generated_ids);
}

// How often the most repeated token occurs.
int most_repeats(const std::vector<int>& ids) {
  std::map<int, int> counts;
  int most = 0;
  for (int t : ids) most = std::max(most, ++counts[t]);
  return most;
}

TEST_P(RequestFields, FrequencyPenaltyReducesRepetition) {
  const request plain{.prompt = "Once upon a time", .max_new_tokens = 120};
  request penalised = plain;
  penalised.frequency_penalty = 2.0f;
  const result a = run(*svc_, plain), b = run(*svc_, penalised);
  EXPECT_LT(most_repeats(b.generated_ids), most_repeats(a.generated_ids));
  EXPECT_EQ(b.generated_ids, reference().run(penalised).generated_ids);
  request present = plain;
  present.presence_penalty = 2.0f;
  const result c = run(*svc_, present);
  EXPECT_NE(c.generated_ids, a.generated_ids);
  EXPECT_EQ(c.generated_ids, reference().run(present).generated_ids);
}

INSTANTIATE_TEST_SUITE_P(StaticAndContinuous, RequestFields, ::testing::Values("vanilla", "continuous"));

}  // namespace
}  // namespace binserve
