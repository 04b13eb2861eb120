// One sequence's output while it is generated: its tokens, their
// log-probabilities, and the rules that end it (stop tokens, stop strings,
// lengths). The one place those rules are applied: generate_batch and the
// executor actors both keep one per running sequence.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "gpu/generate.hpp"
#include "gpu/tokenizer.hpp"

namespace binserve {

class sequence_output {
 public:
  // `m` must outlive it. `tok` decodes tokens for stop strings: needed only
  // when request.stop is not empty. `resumed`: tokens an earlier run of the
  // request generated, which this one continues from.
  sequence_output(generation_request request, const model& m, std::shared_ptr<const tokenizer> tok,
                  std::vector<int> resumed = {});

  // Records a sampled token. A stop token that ends the sequence is not kept
  // (generated() excludes it); every other token is. Returns why the
  // sequence ends after it, if it does.
  std::optional<stop_reason> add(const sampled_token& t);
  // Whether the token that add() answered `stop` for was kept: every token
  // but a stop token that ends the sequence. Its stream event and its
  // log-probabilities go with it.
  static bool kept(std::optional<stop_reason> stop) { return stop != stop_reason::stop_token; }

  const generation_request& request() const { return request_; }
  // The tokens kept so far (resumed ones first).
  const std::vector<int>& generated() const { return generated_; }
  std::vector<int> take_generated() { return std::move(generated_); }
  // Its part in the next sampling step.
  sampling_row row() const { return {&request_, generated_}; }

 private:
  generation_request request_;
  const model* model_;
  std::shared_ptr<const tokenizer> tok_;
  std::optional<stop_string_matcher> stops_;  // when request.stop is not empty
  int prev_ = 0;                              // the token before the next one, for decoding
  std::vector<int> generated_;
};

}  // namespace binserve
