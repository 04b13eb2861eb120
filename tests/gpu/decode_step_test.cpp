// decode_step: one forward of every sequence's feed, a token sampled for each
// and recorded by its stop rules. Checked against the backend itself: a
// separate backend's greedy token (argmax of its logits) for the same prompt.
#include "gpu/decode_step.hpp"

#include <gtest/gtest.h>

namespace binserve {
namespace {

std::shared_ptr<const model> dummy() {
  static const auto m = [] {
    auto loaded = load_model("dummy:stories260k");
    EXPECT_TRUE(loaded.ok()) << loaded.error().to_string();
    return std::make_shared<const model>(std::move(*loaded));
  }();
  return m;
}

std::unique_ptr<backend> cpu_backend() {
  auto b = make_backend(dummy(), backend_options{.threads = 1});
  EXPECT_TRUE(b.ok()) << b.error().to_string();
  return std::move(*b);
}

// The greedy next token after `prompt`, read from a backend's logits.
int greedy_after(const std::vector<int>& prompt) {
  auto b = cpu_backend();
  const int seq = b->open_sequence(64).value();
  const sequence_chunk chunk{seq, prompt};
  EXPECT_TRUE(b->forward({&chunk, 1}).ok());
  return argmax(b->logits(0));
}

generation_request greedy(std::vector<int> prompt, int max_new_tokens) {
  generation_request r;
  r.prompt_ids = std::move(prompt);
  r.max_new_tokens = max_new_tokens;
  r.ignore_eos = true;  // dummy weights may sample a stop token
  return r;
}

TEST(DecodeStep, EachSequenceGetsItsOwnTokenRecordedAndFedNext) {
  auto b = cpu_backend();
  const auto tok = std::make_shared<const tokenizer>(dummy()->vocab);
  const std::vector<int> p1{1, 10, 20}, p2{1, 30};
  decoding a{b->open_sequence(64).value(), p1, sequence_output(greedy(p1, 5), *dummy(), tok)};
  decoding c{b->open_sequence(64).value(), p2, sequence_output(greedy(p2, 1), *dummy(), tok)};
  std::vector<decoding*> seqs{&a, &c};
  const auto made = decode_step(*b, seqs);
  ASSERT_TRUE(made.ok()) << made.error().to_string();
  ASSERT_EQ(made->size(), 2u);
  const int t1 = greedy_after(p1), t2 = greedy_after(p2);
  EXPECT_EQ((*made)[0].token.token, t1);
  EXPECT_EQ((*made)[1].token.token, t2);
  EXPECT_EQ((*made)[0].stop, std::nullopt);
  EXPECT_EQ(a.out.generated(), std::vector<int>{t1});
  EXPECT_EQ(a.feed, std::vector<int>{t1}) << "the token goes on: it is the next forward's input";
  EXPECT_EQ((*made)[1].stop, stop_reason::max_new_tokens);
  EXPECT_TRUE((*made)[1].kept());
  EXPECT_EQ(c.out.generated(), std::vector<int>{t2});
  EXPECT_EQ(c.feed, p2) << "a sequence that ends is not fed again";
  // The next step continues the live one from its token.
  std::vector<decoding*> rest{&a};
  const auto next = decode_step(*b, rest);
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  EXPECT_EQ(a.out.generated().size(), 2u);
  EXPECT_EQ(a.out.generated()[1], greedy_after({1, 10, 20, t1}));
}

TEST(DecodeStep, ARefusedForwardRecordsNothing) {
  auto b = cpu_backend();
  const auto tok = std::make_shared<const tokenizer>(dummy()->vocab);
  const std::vector<int> bad{1, 1 << 20};  // outside the vocabulary
  decoding d{b->open_sequence(64).value(), bad, sequence_output(greedy(bad, 5), *dummy(), tok)};
  std::vector<decoding*> seqs{&d};
  const auto made = decode_step(*b, seqs);
  ASSERT_FALSE(made.ok());
  EXPECT_TRUE(d.out.generated().empty());
  EXPECT_EQ(d.feed, bad);
}

}  // namespace
}  // namespace binserve
