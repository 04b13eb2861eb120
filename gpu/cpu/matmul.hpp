// Matrix products of the CPU forward pass: y = x @ W^T for weights of any
// type binserve reads, each output by the kernels of gpu/cpu/kernels.hpp, so
// every value is the same whatever the batch, the thread count or the CPU's
// instruction set (a batch computes exactly what each row computes alone).
//
// One per backend; run() is called by every member of a team at once.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "gpu/cpu/kernels.hpp"
#include "gpu/cpu/team.hpp"
#include "gpu/host_weights.hpp"

namespace binserve::cpu {

// One product of a step: y (rows, w->rows) = x (rows, w->cols) @ w^T.
struct product {
  const weight_matrix* w;
  float* y;
};

class matmul {
 public:
  // For teams of up to `threads` members, with the kernels of `kernels`
  // (which this CPU must support: cpu_supports).
  explicit matmul(int threads, isa kernels = best_isa()) : isa_(kernels), q8_(threads), q8k_(threads) {}

  // Every product of `products` with the same x (rows, in), all of whose
  // weights have `in` columns, as one shared loop of the team. Member `me`
  // quantizes x itself, once for each activation format the weights need
  // (O(rows * in), no wait for the others), then takes column ranges
  // [begin, end) (multiples of 12 and of `unit` wide, so no kernel tile or
  // RoPE pair or head is split) and computes those outputs of every
  // product, for all rows, then
  // calls then(begin, end) to work on them further (end may pass a narrower
  // product's last output: clamp to it). The outputs are complete
  // once every member has returned: a barrier's work.
  void run(team_member& me, const float* x, int rows, std::span<const product> products,
           const std::function<void(int begin, int end)>& then = {}, int unit = 1);

 private:
  isa isa_;
  std::vector<std::vector<unsigned char>> q8_, q8k_;  // per member: x as q8_block / q8k_block rows
};

}  // namespace binserve::cpu
