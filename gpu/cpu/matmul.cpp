#include "gpu/cpu/matmul.hpp"

#include <algorithm>
#include <numeric>

namespace binserve::cpu {

namespace {

// Column ranges per member: enough that a faster member can take more.
constexpr int kRangesPerMember = 4;

// Ranges are whole multiples of the kernels' widest tiles (3 and 4 outputs).
constexpr int kAlign = 12;

}  // namespace

void matmul::run(team_member& me, const float* x, int rows, std::span<const product> products,
                 const std::function<void(int begin, int end)>& then, int unit) {
  if (products.empty() || rows == 0) return;
  const int in = static_cast<int>(products[0].w->cols);
  bool need_q8 = false, need_q8k = false;
  int widest = 0;
  for (const product& p : products) {
    const activation_format f = activation_format_of(p.w->type);
    need_q8 |= f == activation_format::q8;
    need_q8k |= f == activation_format::q8k;
    widest = std::max(widest, static_cast<int>(p.w->rows));
  }
  const std::size_t q8_row = activation_row_bytes(activation_format::q8, in);
  const std::size_t q8k_row = activation_row_bytes(activation_format::q8k, in);
  std::vector<unsigned char>& q8 = q8_[me.index()];
  std::vector<unsigned char>& q8k = q8k_[me.index()];
  if (need_q8) q8.resize(rows * q8_row);
  if (need_q8k) q8k.resize(rows * q8k_row);
  for (int r = 0; r < rows; ++r) {
    if (need_q8) quantize_row_q8(x + std::size_t(r) * in, reinterpret_cast<q8_block*>(&q8[r * q8_row]), in);
    if (need_q8k) quantize_row_q8k(x + std::size_t(r) * in, reinterpret_cast<q8k_block*>(&q8k[r * q8k_row]), in);
  }
  const int per = (widest + me.size() * kRangesPerMember - 1) / (me.size() * kRangesPerMember);
  const int align = std::lcm(kAlign, unit);
  const int width = me.size() == 1 ? widest : (per + align - 1) / align * align;
  const int ranges = (widest + width - 1) / width;
  auto loop = me.next_loop();
  for (int u; (u = loop.take()) < ranges;) {
    const int begin = u * width, end = std::min(widest, begin + width);
    for (const product& p : products) {
      const int out = static_cast<int>(p.w->rows);
      if (begin >= out) continue;
      const activation_format f = activation_format_of(p.w->type);
      const void* xa = f == activation_format::q8    ? static_cast<const void*>(q8.data())
                       : f == activation_format::q8k ? static_cast<const void*>(q8k.data())
                                                     : static_cast<const void*>(x);
      const std::size_t xa_row = f == activation_format::q8    ? q8_row
                                 : f == activation_format::q8k ? q8k_row
                                                               : in * sizeof(float);
      const matrix_view view{p.w->type, p.w->data, p.w->row_bytes(), in};
      kernel_for(p.w->type, isa_)(view, begin, std::min(end, out), xa, xa_row, rows, p.y, out);
    }
    if (then) then(begin, end);
  }
}

}  // namespace binserve::cpu
