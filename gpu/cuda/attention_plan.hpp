// How the CUDA backend's decode attention cuts each token's positions into
// splits (flash-decoding: gpu/cuda/kernels/attention.cu). Host code only, so
// the CPU-only test suite checks the promise below.
//
// The promise: a token's splits are [s * split_len, (s + 1) * split_len) of
// its own positions, and split_len is kSplitLen whenever the forward's n
// tokens x n_heads x ceil(max_len / kSplitLen) stays within kMaxTriples (a
// decode step of up to 256 sequences of 1024 positions at 32 heads). Within
// that bound a sequence's attention is computed the same way, to the bit,
// whatever else is in the batch. Beyond it (long prefills), split_len
// doubles until the (token, head, split) workspace fits, and at most
// kMaxSplitLen positions go to one split (their scores live in shared memory).
// The projections are cuBLAS GEMMs, which pick kernels by batch size, so the
// CUDA backend as a whole is batch-invariant only up to rounding
// (docs/benchmarks.md, "Batch invariance on the GPU").
#pragma once

#include <algorithm>
#include <cstdint>

namespace binserve::cuda {

inline constexpr int kSplitLen = 128;
inline constexpr int kMaxSplitLen = 8192;
inline constexpr std::int64_t kMaxTriples = std::int64_t(1) << 18;

struct attention_plan {
  int n_splits = 1;
  int split_len = kSplitLen;
};

// The plan for n tokens of n_heads heads whose longest sequence is max_len.
inline attention_plan plan_attention(int n, int n_heads, int max_len) {
  attention_plan p;
  auto splits = [&](int len) { return (std::max(max_len, 1) + len - 1) / len; };
  while (p.split_len < kMaxSplitLen && std::int64_t(n) * n_heads * splits(p.split_len) > kMaxTriples) p.split_len *= 2;
  p.n_splits = splits(p.split_len);
  return p;
}

}  // namespace binserve::cuda
