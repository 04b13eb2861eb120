// The shared dummy-weight arithmetic (gpu/dummy_weight.hpp), which the CUDA
// backend's device generator compiles too: checked on the host against
// values computed independently (Python integers, see each test) and against
// fill_dummy_weights, so the device can only match the CPU if this does.
#include <cmath>

#include <gtest/gtest.h>

#include "gpu/dummy_weight.hpp"
#include "gpu/host_weights.hpp"
#include "gpu/model_config.hpp"

namespace binserve {
namespace {

// Expected values from a Python reimplementation of splitmix64 and the
// float rounding (struct.pack('f')): seed 1, tensor 2, i 3 -> r >> 40 =
// 1843633; seed 42, tensor 0, i 123456789 -> 1188078.
TEST(DummyWeight, MatchesIndependentlyComputedValues) {
  EXPECT_EQ(dummy_weight_value(1, 2, 3, 1.0f), -0.7802218198776245f);
  EXPECT_EQ(dummy_weight_value(42, 0, 123456789, 0.5f), -0.42918503284454346f);
}

TEST(DummyWeight, StaysWithinScale) {
  for (std::uint64_t i = 0; i < 10000; ++i) {
    const float v = dummy_weight_value(7, 3, i, 0.25f);
    EXPECT_GE(v, -0.25f);
    EXPECT_LT(v, 0.25f);
  }
}

TEST(DummyWeight, FillDummyWeightsWritesTheSharedValues) {
  auto c = model_preset("stories260k");
  ASSERT_TRUE(c.ok());
  host_weights w(*c);
  fill_dummy_weights(*c, 5, w);
  const float in_d = 1.0f / std::sqrt(float(c->dim));
  // tensor 0: the embedding (scale 1); tensor 1: layer 0's wq (scale 1/sqrt(dim))
  for (std::uint64_t i : {0ull, 1ull, 1000ull})
    EXPECT_EQ(w.token_embedding.f32()[i], dummy_weight_value(5, 0, i, 1.0f));
  for (std::uint64_t i : {0ull, 17ull, 4095ull}) EXPECT_EQ(w.layers[0].wq.f32()[i], dummy_weight_value(5, 1, i, in_d));
  EXPECT_EQ(dummy_weight(5, 1, 17, in_d), dummy_weight_value(5, 1, 17, in_d));
}

}  // namespace
}  // namespace binserve
