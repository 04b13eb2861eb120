// Matrix products of the CPU forward pass: y = x @ W^T for weights of any
// type binserve reads, each output by the kernels of gpu/cpu/kernels.hpp, so
// every value is the same whatever the batch, the thread count or the CPU's
// instruction set (a batch computes exactly what each row computes alone).
//
// Not thread-safe: one per backend (it holds the quantized activations).
#pragma once

#include <span>
#include <vector>

#include "gpu/cpu/kernels.hpp"
#include "gpu/host_weights.hpp"

namespace binserve::cpu {

// One product of a step: y (rows, w->rows) = x (rows, w->cols) @ w^T.
struct product {
  const weight_matrix* w;
  float* y;
};

class matmul {
 public:
  // Runs on up to `threads` OpenMP threads with the kernels of `kernels`
  // (which this CPU must support: cpu_supports).
  explicit matmul(int threads, isa kernels = best_isa()) : threads_(threads), isa_(kernels) {}

  // Every product of `products` with the same x (rows, in), all of whose
  // weights have `in` columns: x is quantized once for each activation format
  // they need, then their outputs are split over the threads in one parallel
  // region. Small products use fewer threads (a fork costs microseconds).
  void run(const float* x, int rows, std::span<const product> products);

 private:
  int threads_;
  isa isa_;
  std::vector<unsigned char> q8_, q8k_;  // x as q8_block / q8k_block rows
};

}  // namespace binserve::cpu
