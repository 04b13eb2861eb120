// The counter-based value of one dummy weight, shared by the host
// (fill_dummy_weights) and the CUDA backend's on-device generator, so both
// produce bit-identical fp32 weights without a host copy.
//
// Pure integer arithmetic and one float multiply: no state, any thread.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define BINSERVE_HOST_DEVICE __host__ __device__
#else
#define BINSERVE_HOST_DEVICE
#endif

namespace binserve {

// splitmix64's finaliser: a counter-based generator, so element i is computable alone.
BINSERVE_HOST_DEVICE inline std::uint64_t dummy_mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Element `i` of tensor number `tensor`, uniform in [-scale, scale):
// u = top 24 bits of mix(mix(seed ^ tensor << 56) + i) / 2^24 (exact in
// float), value = (2u - 1) * scale (2u - 1 is exact, so one rounding).
BINSERVE_HOST_DEVICE inline float dummy_weight_value(std::uint64_t seed, std::uint64_t tensor, std::uint64_t i,
                                                     float scale) {
  const std::uint64_t r = dummy_mix(dummy_mix(seed ^ (tensor << 56)) + i);
  const float u = static_cast<float>(r >> 40) * (1.0f / 16777216.0f);  // [0, 1)
  return (2.0f * u - 1.0f) * scale;
}

}  // namespace binserve
