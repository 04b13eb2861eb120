#include "gpu/kv_cache.hpp"

#include <set>

#include <gtest/gtest.h>

namespace binserve {
namespace {

kv_layout layout_of(int n_blocks, int block_size = 4) {
  kv_layout l;
  l.block_size = block_size;
  l.n_blocks = n_blocks;
  l.bytes_per_token = 8;
  return l;
}

TEST(KvLayout, PlansBlocksFromAByteBudget) {
  model_config c = *model_preset("stories260k");  // kv_dim 32, 5 layers
  auto l = kv_layout::plan(c, 1 << 20, 4, 16);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->bytes_per_token, 2 * 5 * 32 * 4);
  EXPECT_EQ(l->n_blocks, (1 << 20) / (1280 * 16));
  EXPECT_LE(l->bytes(), 1 << 20);
  auto none = kv_layout::plan(c, 100, 4, 16);
  EXPECT_EQ(none.error().code(), error_code::out_of_memory);
}

TEST(KvCache, OpenReservesBlocksAndCloseReturnsThem) {
  kv_cache kv(layout_of(10), 100);
  auto a = kv.open(9);  // 3 blocks of 4
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(kv.free_blocks(), 7);
  auto b = kv.open(29);  // 8 blocks: too many
  EXPECT_EQ(b.error().code(), error_code::out_of_memory);
  EXPECT_EQ(kv.free_blocks(), 7);
  kv.close(*a);
  EXPECT_EQ(kv.free_blocks(), 10);
  EXPECT_EQ(kv.open_sequences(), 0);
}

TEST(KvCache, GrowIsAllOrNothing) {
  kv_cache kv(layout_of(4), 100);
  int a = *kv.open(0), b = *kv.open(0);
  ASSERT_TRUE(kv.grow(std::vector<kv_growth>{{a, 5}, {b, 3}}).ok());  // 2 + 1 blocks
  EXPECT_EQ(kv.length(a), 5);
  EXPECT_EQ(kv.free_blocks(), 1);
  const std::vector<kv_growth> too_much = {{a, 1}, {b, 6}};  // a fits, b needs 2 more
  EXPECT_EQ(kv.grow(too_much).code(), error_code::out_of_memory);
  EXPECT_EQ(kv.length(a), 5);
  EXPECT_EQ(kv.length(b), 3);
  EXPECT_EQ(kv.free_blocks(), 1);
}

TEST(KvCache, GrowPastContextIsInputTooLarge) {
  kv_cache kv(layout_of(100), 10);
  int a = *kv.open(0);
  EXPECT_EQ(kv.grow(std::vector<kv_growth>{{a, 11}}).code(), error_code::input_too_large);
  EXPECT_EQ(kv.open(11).error().code(), error_code::input_too_large);
  EXPECT_EQ(kv.grow(std::vector<kv_growth>{{a + 1, 1}}).code(), error_code::invalid_argument);
}

TEST(KvCache, PositionsMapToDistinctBlocks) {
  kv_cache kv(layout_of(8), 100);
  int a = *kv.open(8), b = *kv.open(8);
  ASSERT_TRUE(kv.grow(std::vector<kv_growth>{{a, 8}, {b, 8}}).ok());
  std::set<int> blocks;
  for (int s : {a, b})
    for (int pos = 0; pos < 8; pos += 4) blocks.insert(kv.block_of(s, pos));
  EXPECT_EQ(blocks.size(), 4u);
  EXPECT_EQ(kv.block_of(a, 0), kv.block_of(a, 3));
}

TEST(KvCache, SequencesThatFitCountsWholeBlocks) {
  kv_cache kv(layout_of(10), 100);
  EXPECT_EQ(kv.sequences_that_fit(4), 10);
  EXPECT_EQ(kv.sequences_that_fit(5), 5);
  EXPECT_EQ(kv.sequences_that_fit(40), 1);
}

}  // namespace
}  // namespace binserve
