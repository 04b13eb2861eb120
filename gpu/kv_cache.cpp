#include "gpu/kv_cache.hpp"

#include <algorithm>

namespace binserve {

status_or<kv_layout> kv_layout::plan(const model_config& config, std::int64_t budget_bytes, int element_bytes,
                                     int block_size) {
  kv_layout l;
  l.block_size = block_size;
  l.bytes_per_token = std::int64_t(2) * config.n_layers * config.kv_dim() * element_bytes;
  const std::int64_t block_bytes = l.bytes_per_token * block_size;
  if (block_size <= 0 || budget_bytes < block_bytes)
    return status(error_code::out_of_memory, "KV cache budget of " + std::to_string(budget_bytes) +
                                                 " bytes holds no block of " + std::to_string(block_size) +
                                                 " positions (" + std::to_string(block_bytes) + " bytes)");
  l.n_blocks = static_cast<int>(std::min<std::int64_t>(budget_bytes / block_bytes, 1 << 30));
  return l;
}

kv_cache::kv_cache(const kv_layout& layout, int max_len) : layout_(layout), max_len_(max_len) {
  free_.reserve(layout.n_blocks);
  for (int b = layout.n_blocks - 1; b >= 0; --b) free_.push_back(b);  // hand out 0 first
}

status_or<int> kv_cache::open(int reserve_tokens) {
  if (reserve_tokens > max_len_)
    return status(error_code::input_too_large,
                  std::to_string(reserve_tokens) + " positions exceed the context of " + std::to_string(max_len_));
  const int need = blocks_for(std::max(reserve_tokens, 0));
  if (need > free_blocks())
    return status(error_code::out_of_memory, "KV cache full: " + std::to_string(need) + " blocks needed, " +
                                                 std::to_string(free_blocks()) + " free");
  int seq;
  if (!free_seqs_.empty()) {
    seq = free_seqs_.back();
    free_seqs_.pop_back();
  } else {
    seq = static_cast<int>(seqs_.size());
    seqs_.emplace_back();
  }
  sequence& s = seqs_[seq];
  s.open = true;
  s.length = 0;
  for (int i = 0; i < need; ++i) {
    s.blocks.push_back(free_.back());
    free_.pop_back();
  }
  ++n_open_;
  return seq;
}

void kv_cache::close(int seq) {
  sequence& s = seqs_[seq];
  free_.insert(free_.end(), s.blocks.rbegin(), s.blocks.rend());
  s = sequence{};
  free_seqs_.push_back(seq);
  --n_open_;
}

bool kv_cache::is_open(int seq) const { return seq >= 0 && seq < static_cast<int>(seqs_.size()) && seqs_[seq].open; }

status kv_cache::grow(std::span<const kv_growth> growths) {
  int need = 0;
  for (const kv_growth& g : growths) {
    if (!is_open(g.seq) || g.n_tokens < 0)
      return status(error_code::invalid_argument, "sequence " + std::to_string(g.seq) + " is not open");
    const sequence& s = seqs_[g.seq];
    if (s.length + g.n_tokens > max_len_)
      return status(error_code::input_too_large, "sequence would hold " + std::to_string(s.length + g.n_tokens) +
                                                     " positions, past the context of " + std::to_string(max_len_));
    need += std::max(0, blocks_for(s.length + g.n_tokens) - static_cast<int>(s.blocks.size()));
  }
  if (need > free_blocks())
    return status(error_code::out_of_memory, "KV cache full: " + std::to_string(need) + " blocks needed, " +
                                                 std::to_string(free_blocks()) + " free");
  for (const kv_growth& g : growths) {
    sequence& s = seqs_[g.seq];
    s.length += g.n_tokens;
    while (static_cast<int>(s.blocks.size()) < blocks_for(s.length)) {
      s.blocks.push_back(free_.back());
      free_.pop_back();
    }
  }
  return status::ok_status();
}

int kv_cache::sequences_that_fit(int tokens) const { return layout_.n_blocks / std::max(1, blocks_for(tokens)); }

}  // namespace binserve
