// The reference for end-to-end tests of the request fields: generate_batch
// on a CPU backend of the real stories260K model, no actors. The executor
// path must give the same tokens for the same request.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "binserve/config.hpp"
#include "binserve/request.hpp"
#include "gpu/generate.hpp"
#include "gpu/tokenizer.hpp"
#include "tests/policy_named.hpp"
#include "tests/test_paths.hpp"

namespace binserve::testing {

class stories_reference {
 public:
  static constexpr const char* kModel = "models/stories260K.bin";  // under shared/

  // A service on it: one one-thread executor, batches of 4, partial batches
  // taken after 2 ms, every request predicted `predicted` tokens.
  static service_config service_for(const std::string& policy, int predicted = 64) {
    service_config c;
    c.model = shared_path(kModel);
    c.threads = 1;
    c.policy.kind = testing::policy_named(policy);
    c.policy.batch_size = 4;
    c.policy.max_wait = std::chrono::milliseconds(2);
    c.predictor.kind = "fixed";
    c.predictor.fixed_length = predicted;
    c.limits.max_new_tokens = 300;
    return c;
  }

  stories_reference() {
    auto loaded = load_model(shared_path(kModel));
    EXPECT_TRUE(loaded.ok()) << loaded.error().to_string();
    if (!loaded.ok()) return;
    model_ = std::make_shared<const model>(std::move(*loaded));
    backend_ = make_backend(model_, backend_options{.threads = 1}).value();
    tok_ = std::make_unique<tokenizer>(model_->vocab);
  }

  // The generation_request the service makes of `r` (its prompt tokenized,
  // BOS first; its seed, 0 when absent), written out field by field here:
  // an independent statement of gpu/generation_request.cpp's generation_of.
  generation_request request_of(const request& r) const {
    generation_request g;
    g.prompt_ids = tok_->encode(r.prompt);
    g.sampling = {r.temperature, r.top_p, r.seed.value_or(0)};
    g.rules = {r.presence_penalty, r.frequency_penalty, r.logit_bias, r.min_tokens};
    g.stop = r.stop;
    g.ignore_eos = r.ignore_eos;
    g.logprobs = r.logprobs;
    g.max_new_tokens = r.max_new_tokens;
    return g;
  }

  // `r` run alone by generate_batch.
  generation_result run(const request& r) const {
    auto out = generate_batch(*backend_, {request_of(r)});
    EXPECT_TRUE(out.ok()) << out.error().to_string();
    return out.ok() ? out->front() : generation_result{};
  }

  // The text of `ids` generated after `prompt`, as the service decodes it.
  std::string text(const std::string& prompt, const std::vector<int>& ids) const {
    return tok_->decode(ids, tok_->encode(prompt).back());
  }

  const tokenizer& tok() const { return *tok_; }
  const model& served_model() const { return *model_; }

 private:
  std::shared_ptr<const model> model_;
  std::unique_ptr<backend> backend_;
  std::unique_ptr<tokenizer> tok_;
};

}  // namespace binserve::testing
