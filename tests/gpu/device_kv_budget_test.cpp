// A device backend's default KV budget (gpu/backend.hpp device_kv_cache_bytes):
// the share of the device it keeps to, so an executor leaves room for the
// embedding predictor's backend (and a second executor) on the same GPU.
#include <gtest/gtest.h>

#include "gpu/backend.hpp"
#include "gpu/model_config.hpp"

namespace binserve {
namespace {

constexpr std::int64_t GiB = std::int64_t(1) << 30;

// Llama-2-7B in fp16 on an 80 GiB device.
struct DeviceKvBudget : ::testing::Test {
  model_config c = *model_preset("llama2-7b");
  std::int64_t weights = c.n_params() * 2;
  std::int64_t per_sequence = std::int64_t(2) * c.n_layers * c.kv_dim() * 2 * c.n_ctx;  // 2 GiB at 4096
};

TEST_F(DeviceKvBudget, OneExecutorTakesItsShareLessWeightsAndHeadroom) {
  auto kv = device_kv_cache_bytes(c, 2, weights, 79 * GiB, 80 * GiB, 0.9);
  ASSERT_TRUE(kv.ok()) << kv.error().to_string();
  EXPECT_EQ(*kv, static_cast<std::int64_t>(0.9 * 80 * GiB) - weights - kDeviceHeadroomBytes);
}

// The service splits 0.9 over an executor and the embedding predictor: the
// executor's weights, KV cache and headroom stay under 45% of the device, so
// the predictor's own copy of the weights and its one-sequence cache fit.
TEST_F(DeviceKvBudget, AnExecutorBesideThePredictorLeavesRoomForIt) {
  auto kv = device_kv_cache_bytes(c, 2, weights, 79 * GiB, 80 * GiB, 0.45);
  ASSERT_TRUE(kv.ok()) << kv.error().to_string();
  const std::int64_t executor = weights + *kv + kDeviceHeadroomBytes;
  EXPECT_LE(executor, static_cast<std::int64_t>(0.45 * 80 * GiB));
  const std::int64_t predictor = weights + per_sequence * 2 + kDeviceHeadroomBytes;  // fp32 cache of one sequence
  EXPECT_LE(executor + predictor, 80 * GiB);
}

TEST_F(DeviceKvBudget, NeverMoreThanIsFreeOr256Sequences) {
  auto busy = device_kv_cache_bytes(c, 2, weights, 30 * GiB, 80 * GiB, 0.9);  // another process holds 50 GiB
  ASSERT_TRUE(busy.ok());
  EXPECT_EQ(*busy, 30 * GiB - kDeviceHeadroomBytes);
  const model_config tiny = *model_preset("stories260k");
  auto small = device_kv_cache_bytes(tiny, 4, 1 << 20, 79 * GiB, 80 * GiB, 0.9);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(*small, std::int64_t(2) * tiny.n_layers * tiny.kv_dim() * 4 * tiny.n_ctx * 256);
}

TEST_F(DeviceKvBudget, AShareTooSmallForTheWeightsIsOutOfMemoryNamingTheShare) {
  auto kv = device_kv_cache_bytes(c, 2, weights, 79 * GiB, 80 * GiB, 0.1);
  ASSERT_FALSE(kv.ok());
  EXPECT_EQ(kv.error().code(), error_code::out_of_memory);
  EXPECT_NE(kv.error().message().find("device_memory_share 0.1"), std::string::npos) << kv.error().message();
}

}  // namespace
}  // namespace binserve
