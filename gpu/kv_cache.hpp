// Bookkeeping of a paged KV cache (as in vLLM): the cache is `n_blocks`
// blocks of `block_size` token positions; a sequence holds a list of blocks
// that grows as it does, so short and long sequences share one budget with
// no fragmentation. The backend owns the storage (host or device memory) and
// asks this class where position `pos` of sequence `seq` lives.
//
// Not thread-safe: owned by one backend, used by the thread driving it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "binserve/status.hpp"
#include "gpu/model_config.hpp"

namespace binserve {

// Capacity planning in bytes: how many blocks a byte budget buys.
struct kv_layout {
  int block_size = 16;               // token positions per block
  int n_blocks = 0;                  // blocks in the cache
  std::int64_t bytes_per_token = 0;  // K and V of one position, all layers

  std::int64_t bytes() const { return std::int64_t(n_blocks) * block_size * bytes_per_token; }

  // Blocks `budget_bytes` buys for `config` with `element_bytes` per value
  // (4 for fp32, 2 for fp16). Errors: out_of_memory when it buys no block.
  static status_or<kv_layout> plan(const model_config& config, std::int64_t budget_bytes, int element_bytes,
                                   int block_size);
};

// A request to append `n_tokens` positions to sequence `seq`.
struct kv_growth {
  int seq;
  int n_tokens;
};

class kv_cache {
 public:
  // `max_len`: the longest a sequence may grow (the model's n_ctx).
  kv_cache(const kv_layout& layout, int max_len);

  // Opens an empty sequence and reserves blocks for its first
  // `reserve_tokens` positions, so it can grow that far without failing.
  // Errors: out_of_memory (not enough free blocks; nothing changes),
  // input_too_large (reserve_tokens > max_len).
  status_or<int> open(int reserve_tokens);

  // Frees the sequence's blocks. Precondition: `seq` is open.
  void close(int seq);

  // Appends positions to several sequences at once, taking blocks as needed.
  // Each sequence appears at most once in `growths`.
  // All or nothing: on error no sequence changes. Errors: out_of_memory,
  // input_too_large (a sequence would pass max_len), invalid_argument
  // (a sequence that is not open).
  status grow(std::span<const kv_growth> growths);

  // Positions sequence `seq` holds. Precondition: `seq` is open.
  int length(int seq) const { return seqs_[seq].length; }

  // Block id and offset holding position `pos` (< length) of `seq`.
  int block_of(int seq, int pos) const { return seqs_[seq].blocks[pos / layout_.block_size]; }

  bool is_open(int seq) const;
  int free_blocks() const { return static_cast<int>(free_.size()); }
  int open_sequences() const { return n_open_; }
  const kv_layout& layout() const { return layout_; }

  // How many sequences of `tokens` positions each fit in the whole cache.
  int sequences_that_fit(int tokens) const;

 private:
  struct sequence {
    bool open = false;
    int length = 0;
    std::vector<int> blocks;
  };
  int blocks_for(int tokens) const { return (tokens + layout_.block_size - 1) / layout_.block_size; }

  kv_layout layout_;
  int max_len_;
  std::vector<int> free_;  // free block ids
  std::vector<sequence> seqs_;
  std::vector<int> free_seqs_;  // closed sequence ids, reused first
  int n_open_ = 0;
};

}  // namespace binserve
