#include "gpu/decode_step.hpp"

namespace binserve {

status_or<std::vector<decoded>> decode_step(backend& b, std::span<decoding* const> seqs) {
  std::vector<sequence_chunk> chunks;
  std::vector<sampling_row> rows;
  for (const decoding* d : seqs) {
    chunks.push_back({d->seq, d->feed});
    rows.push_back(d->out.row());
  }
  if (status s = b.forward(chunks); !s.ok()) return s;
  const status_or<std::vector<sampled_token>> sampled = sample_rows(b, rows);
  if (!sampled.ok()) return sampled.error();
  std::vector<decoded> out;
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    decoding& d = *seqs[i];
    const sampled_token& t = (*sampled)[i];
    out.push_back({t, d.out.add(t)});
    if (!out.back().stop) d.feed = {t.token};
  }
  return out;
}

}  // namespace binserve
