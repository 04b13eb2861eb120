#include "gpu/cpu/matmul.hpp"

#include <omp.h>

#include <algorithm>

#include "gpu/cpu/tsan_omp.hpp"

namespace binserve::cpu {

namespace {

// Multiply-adds below which one more thread costs more than it saves.
constexpr std::int64_t kWorkPerThread = std::int64_t(1) << 17;

// Output ranges are split in multiples of the kernels' widest tile (3 and 4).
constexpr int kSplitAlign = 12;

}  // namespace

void matmul::run(const float* x, int rows, std::span<const product> products) {
  if (products.empty() || rows == 0) return;
  const int in = static_cast<int>(products[0].w->cols);
  bool need_q8 = false, need_q8k = false;
  std::int64_t work = 0;
  for (const product& p : products) {
    const activation_format f = activation_format_of(p.w->type);
    need_q8 |= f == activation_format::q8;
    need_q8k |= f == activation_format::q8k;
    work += std::int64_t(rows) * p.w->rows * in;
  }
  const std::size_t q8_row = activation_row_bytes(activation_format::q8, in);
  const std::size_t q8k_row = activation_row_bytes(activation_format::q8k, in);
  if (need_q8) q8_.resize(rows * q8_row);
  if (need_q8k) q8k_.resize(rows * q8k_row);
  const int threads = static_cast<int>(std::clamp<std::int64_t>(work / kWorkPerThread, 1, threads_));

  char fork = 0, join = 0;  // addresses for tsan_release/tsan_acquire only
  tsan_release(&fork);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    tsan_acquire(&fork);
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    for (int r = t; r < rows; r += nt) {
      if (need_q8) quantize_row_q8(x + std::size_t(r) * in, reinterpret_cast<q8_block*>(&q8_[r * q8_row]), in);
      if (need_q8k) quantize_row_q8k(x + std::size_t(r) * in, reinterpret_cast<q8k_block*>(&q8k_[r * q8k_row]), in);
    }
    if (need_q8 || need_q8k) {
      tsan_release(&join);
#pragma omp barrier
      tsan_acquire(&join);
    }
    for (const product& p : products) {
      const int out = static_cast<int>(p.w->rows);
      const int per = (out + nt - 1) / nt;
      const int chunk = (per + kSplitAlign - 1) / kSplitAlign * kSplitAlign;
      const int begin = std::min(out, t * chunk), end = std::min(out, begin + chunk);
      if (begin == end) continue;
      const activation_format f = activation_format_of(p.w->type);
      const void* xa = f == activation_format::q8 ? static_cast<const void*>(q8_.data())
                       : f == activation_format::q8k ? static_cast<const void*>(q8k_.data())
                                                     : static_cast<const void*>(x);
      const std::size_t xa_row = f == activation_format::q8 ? q8_row : f == activation_format::q8k ? q8k_row : in * sizeof(float);
      const matrix_view view{p.w->type, p.w->data, p.w->row_bytes(), in};
      kernel_for(p.w->type, isa_)(view, begin, end, xa, xa_row, rows, p.y, out);
    }
    tsan_release(&join);
  }
  tsan_acquire(&join);
}

}  // namespace binserve::cpu
