// A failed backend never makes up a token: sample's failure, and the NaNs of
// a failed logits copy (a device backend's lazy copy), come back as
// backend_failure through backend::sample, sample_rows and generate_batch.
// Faults injected into a CPU backend on dummy stories260K weights
// (tests/failing_backend.hpp).
#include <map>

#include <gtest/gtest.h>

#include "gpu/generate.hpp"
#include "tests/failing_backend.hpp"

namespace binserve {
namespace {

using testing::backend_faults;
using testing::failing_backend;

std::unique_ptr<backend> cpu_backend() {
  static const auto m = [] {
    auto loaded = load_model("dummy:stories260k");
    EXPECT_TRUE(loaded.ok()) << loaded.error().to_string();
    return std::make_shared<const model>(std::move(*loaded));
  }();
  auto b = make_backend(m, backend_options{.threads = 1});
  EXPECT_TRUE(b.ok()) << b.error().to_string();
  return std::move(*b);
}

std::unique_ptr<failing_backend> failing(backend_faults faults) {
  return std::make_unique<failing_backend>(cpu_backend(), faults);
}

// Eight tokens whatever they are (stop tokens do not end it).
generation_request eight_tokens(std::vector<int> prompt) {
  generation_request r;
  r.prompt_ids = std::move(prompt);
  r.max_new_tokens = r.target_length = 8;
  return r;
}

// One forward of r's prompt on b, so that sample and sample_rows have a row.
void prefill(backend& b, const generation_request& r) {
  auto seq = b.open_sequence(32);
  ASSERT_TRUE(seq.ok()) << seq.error().to_string();
  const sequence_chunk chunk{*seq, r.prompt_ids};
  ASSERT_TRUE(b.forward({&chunk, 1}).ok());
}

void expect_injected_failure(const status& s) {
  EXPECT_EQ(s.code(), error_code::backend_failure) << s.to_string();
  EXPECT_NE(s.message().find("injected backend fault"), std::string::npos) << s.message();
}

TEST(BackendFailure, SampleRowsReturnsTheSampleFailureInsteadOfAToken) {
  auto b = failing({.fail_sample_at = 1});
  const generation_request r = eight_tokens({1, 300});
  ASSERT_NO_FATAL_FAILURE(prefill(*b, r));
  const std::vector<sampling_row> rows = {{&r, {}}};
  const auto out = sample_rows(*b, rows);
  ASSERT_FALSE(out.ok()) << "a token came back from a failed sample: " << out->front().token;
  expect_injected_failure(out.error());
}

TEST(BackendFailure, SampleRowsNeverSamplesTheNansOfAFailedLogitsCopy) {
  // sample's fast path works (it never reads logits()), the host path's
  // copy fails: rows with logit rules or logprobs read NaNs.
  generation_request biased = eight_tokens({1, 300}), logprobs = eight_tokens({1, 300});
  biased.rules.bias = {{7, 1.0f}};
  logprobs.logprobs = 2;
  for (const generation_request* r : {&biased, &logprobs}) {
    auto b = failing({.nan_logits_at = 1});
    ASSERT_NO_FATAL_FAILURE(prefill(*b, *r));
    const std::vector<sampling_row> rows = {{r, {}}};
    const auto out = sample_rows(*b, rows);
    ASSERT_FALSE(out.ok()) << "sampled " << out->front().token << " from NaN logits";
    EXPECT_EQ(out.error().code(), error_code::backend_failure) << out.error().to_string();
    EXPECT_NE(out.error().message().find("logits copy"), std::string::npos) << out.error().message();
  }
}

TEST(BackendFailure, TheDefaultSampleChecksHealthAfterReadingLogits) {
  auto b = failing({.nan_logits_at = 1, .host_sample = true});
  const generation_request r = eight_tokens({1, 300});
  ASSERT_NO_FATAL_FAILURE(prefill(*b, r));
  const std::vector<sampling_params> params(1);
  const std::vector<std::uint64_t> steps(1, 0);
  const auto out = b->sample(params, steps);
  ASSERT_FALSE(out.ok()) << "sampled " << out->front() << " from NaN logits";
  EXPECT_EQ(out.error().code(), error_code::backend_failure) << out.error().to_string();
}

TEST(BackendFailure, GenerateBatchStopsAtASampleFailureAndStreamsNoTokenOfThatStep) {
  const std::vector<generation_request> batch = {eight_tokens({1, 300, 17}), eight_tokens({1, 42})};
  auto clean = cpu_backend();
  const auto want = generate_batch(*clean, batch);
  ASSERT_TRUE(want.ok()) << want.error().to_string();

  auto b = failing({.fail_sample_at = 4});  // steps 1-3 sample, the 4th fails
  std::map<int, std::vector<int>> streamed;
  const auto out = generate_batch(*b, batch, [&](int i, int token, int) { streamed[i].push_back(token); });
  ASSERT_FALSE(out.ok());
  expect_injected_failure(out.error());
  for (int i = 0; i < 2; ++i) {
    const std::vector<int>& all = (*want)[i].generated_ids;
    ASSERT_EQ(all.size(), 8u);
    EXPECT_EQ(streamed[i], std::vector<int>(all.begin(), all.begin() + 3)) << "request " << i;
  }
  EXPECT_EQ(b->kv().open_sequences(), 0) << "the failed batch's sequences are closed";
}

}  // namespace
}  // namespace binserve
