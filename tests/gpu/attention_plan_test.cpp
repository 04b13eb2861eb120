// The CUDA backend's attention split plan (gpu/cuda/attention_plan.hpp), on
// the CPU: the batch-invariance promise the CUDA tests rely on.
#include "gpu/cuda/attention_plan.hpp"

#include <gtest/gtest.h>

namespace binserve::cuda {
namespace {

// A token's split boundaries are s * split_len: the same split_len alone and
// in any decode batch within the bound means the same splits.
TEST(AttentionPlan, ASequenceSplitsTheSameAloneAndInADecodeBatch) {
  for (int len : {1, 127, 128, 129, 300, 1024})
    for (int heads : {6, 32, 64}) {
      const attention_plan alone = plan_attention(1, heads, len);
      EXPECT_EQ(alone.split_len, kSplitLen);
      for (int batch : {2, 16, 64, 256})
        for (int longest : {len, 512, 1024}) {
          const attention_plan in_batch = plan_attention(batch, heads, std::max(len, longest));
          if (std::int64_t(batch) * heads * ((std::max(len, longest) + kSplitLen - 1) / kSplitLen) > kMaxTriples)
            continue;  // beyond the promise
          EXPECT_EQ(in_batch.split_len, alone.split_len) << len << " " << heads << " " << batch << " " << longest;
        }
    }
}

TEST(AttentionPlan, SplitsCoverTheLongestSequence) {
  for (int len : {1, 128, 129, 4096, 32768}) {
    const attention_plan p = plan_attention(1, 32, len);
    EXPECT_GE(std::int64_t(p.n_splits) * p.split_len, len);
    EXPECT_LT(std::int64_t(p.n_splits - 1) * p.split_len, len);
  }
}

// A long prefill widens the splits so the (token, head, split) workspace stays
// bounded, and never past kMaxSplitLen positions a split.
TEST(AttentionPlan, LongPrefillsWidenSplitsWithinTheWorkspaceBound) {
  const attention_plan p = plan_attention(4096, 32, 4096);
  EXPECT_GT(p.split_len, kSplitLen);
  EXPECT_LE(std::int64_t(4096) * 32 * p.n_splits, kMaxTriples);
  const attention_plan huge = plan_attention(32768, 64, 32768);
  EXPECT_EQ(huge.split_len, kMaxSplitLen);
  EXPECT_EQ(huge.n_splits, 4);
}

}  // namespace
}  // namespace binserve::cuda
