// sequence_output: the one place a sequence's stop rules are applied (stop
// tokens, ignore_eos, stop strings, lengths), on the tiny model's vocabulary:
//   0 <unk>, 1 <s>, 2 </s>, 3 <0x41> ("A"), 4 " a", 5 "b c", 6 " the"
// with stop tokens {1, 2}.
#include "gpu/sequence_output.hpp"

#include <gtest/gtest.h>

#include "tests/gpu/tiny_model.hpp"

namespace binserve {
namespace {

constexpr int kA = 3, kSpaceA = 4, kBC = 5, kThe = 6, kEos = 2;

struct fixture {
  fixture() : m(testing::tiny_model(true, 1, 32)) {
    m.stop_tokens = {1, kEos};
    tok = std::make_shared<const tokenizer>(m.vocab);
  }
  generation_request request(int max_new_tokens) const {
    generation_request r;
    r.prompt_ids = {1};  // BOS: the first piece's leading space is dropped
    r.max_new_tokens = max_new_tokens;
    return r;
  }
  model m;
  std::shared_ptr<const tokenizer> tok;
};

sampled_token token(int id) { return {id, std::nullopt}; }

TEST(SequenceOutput, AStopTokenEndsTheSequenceAndIsNotKept) {
  fixture f;
  sequence_output out(f.request(10), f.m, f.tok);
  EXPECT_EQ(out.add(token(kSpaceA)), std::nullopt);
  EXPECT_EQ(out.add(token(kEos)), stop_reason::stop_token);
  EXPECT_EQ(out.generated(), std::vector<int>{kSpaceA});
}

TEST(SequenceOutput, IgnoreEosKeepsStopTokensAndRunsToTheLimit) {
  fixture f;
  generation_request r = f.request(3);
  r.ignore_eos = true;
  sequence_output out(r, f.m, f.tok);
  EXPECT_EQ(out.add(token(kEos)), std::nullopt);
  EXPECT_EQ(out.add(token(1)), std::nullopt);
  EXPECT_EQ(out.add(token(kEos)), stop_reason::max_new_tokens);
  EXPECT_EQ(out.generated(), (std::vector<int>{kEos, 1, kEos}));
}

TEST(SequenceOutput, AStopStringEndsTheSequenceAndItsTokenIsKept) {
  fixture f;
  generation_request r = f.request(10);
  r.stop = {"ab"};
  sequence_output out(r, f.m, f.tok);
  EXPECT_EQ(out.add(token(kSpaceA)), std::nullopt);          // "a"
  EXPECT_EQ(out.add(token(kBC)), stop_reason::stop_string);  // "ab c": spans both tokens
  EXPECT_EQ(out.generated(), (std::vector<int>{kSpaceA, kBC}));
}

TEST(SequenceOutput, TheDroppedLeadingSpaceIsNotPartOfTheText) {
  fixture f;
  generation_request r = f.request(10);
  r.stop = {" a"};  // the text decodes to "a the a": only the third token completes " a"
  sequence_output out(r, f.m, f.tok);
  EXPECT_EQ(out.add(token(kSpaceA)), std::nullopt);
  EXPECT_EQ(out.add(token(kThe)), std::nullopt);
  EXPECT_EQ(out.add(token(kSpaceA)), stop_reason::stop_string);
}

TEST(SequenceOutput, ResumedTokensAreFedToTheStopStringMatcher) {
  fixture f;
  generation_request r = f.request(10);
  r.stop = {"ab"};
  sequence_output out(r, f.m, f.tok, {kSpaceA});  // an earlier run generated "a"
  EXPECT_EQ(out.generated(), std::vector<int>{kSpaceA});
  EXPECT_EQ(out.add(token(kBC)), stop_reason::stop_string);
  EXPECT_EQ(out.generated(), (std::vector<int>{kSpaceA, kBC}));
}

TEST(SequenceOutput, ResumedTokensCountTowardsTheLimit) {
  fixture f;
  sequence_output out(f.request(3), f.m, f.tok, {kA, kA});
  EXPECT_EQ(out.add(token(kA)), stop_reason::max_new_tokens);
  EXPECT_EQ(out.row().generated.size(), 3u);
}

TEST(SequenceOutput, TargetLengthIgnoresStopTokensAndStrings) {
  fixture f;
  generation_request r = f.request(10);
  r.target_length = 2;
  sequence_output out(r, f.m, f.tok);
  EXPECT_EQ(out.add(token(kEos)), std::nullopt);
  EXPECT_EQ(out.add(token(kA)), stop_reason::target_length);
  EXPECT_EQ(out.generated(), (std::vector<int>{kEos, kA}));
}

TEST(SequenceOutput, StopsWhenTheContextIsFull) {
  fixture f;  // n_ctx 32, one prompt token
  sequence_output out(f.request(100), f.m, f.tok);
  for (int i = 0; i < 30; ++i) ASSERT_EQ(out.add(token(kA)), std::nullopt) << i;
  EXPECT_EQ(out.add(token(kA)), stop_reason::context_full);
}

}  // namespace
}  // namespace binserve
