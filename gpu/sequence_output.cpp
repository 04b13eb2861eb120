#include "gpu/sequence_output.hpp"

namespace binserve {

sequence_output::sequence_output(generation_request request, const model& m, std::shared_ptr<const tokenizer> tok,
                                 std::vector<int> resumed)
    : request_(std::move(request)), model_(&m), tok_(std::move(tok)), generated_(std::move(resumed)) {
  prev_ = request_.prompt_ids.empty() ? 0 : request_.prompt_ids.back();
  if (request_.stop.empty() || !tok_) return;
  stops_.emplace(request_.stop);
  for (int t : generated_) {
    stops_->append(tok_->decode_piece(prev_, t));
    prev_ = t;
  }
}

std::optional<stop_reason> sequence_output::add(const sampled_token& t) {
  bool stop_string_done = false;
  if (stops_) {
    stop_string_done = stops_->append(tok_->decode_piece(prev_, t.token));
    prev_ = t.token;
  }
  const int n = static_cast<int>(generated_.size()) + 1;
  const auto stop = stop_after(request_, *model_, n, t.token, stop_string_done);
  if (kept(stop)) generated_.push_back(t.token);
  return stop;
}

}  // namespace binserve
