// Embedding binserve: start a service on stories260K, stream a few stories
// through it, print them and the service's stats.
//
//   build/bin/embed_example [MODEL]     (default ../shared/models/stories260K.bin)
#include <iostream>
#include <mutex>

#include "binserve/service.hpp"

int main(int argc, char** argv) {
  binserve::service_config config;
  config.model = argc > 1 ? argv[1] : "../shared/models/stories260K.bin";
  config.policy.kind = binserve::policy_kind::sequence;  // bins of predicted length, FCR retries, VBS
  config.policy.batch_size = 4;
  config.predictor.kind = "fixed";
  config.predictor.fixed_length = 200;
  config.limits.max_new_tokens = 400;

  auto svc = binserve::service::start(config);
  if (!svc.ok()) {
    std::cerr << "embed: " << svc.error().to_string() << "\n";
    return 1;
  }
  const std::vector<std::string> prompts = {"Once upon a time", "Lily wanted a puppy", "The little robot",
                                            "One day, Tom found a box"};
  std::mutex out;
  std::vector<binserve::submission> subs;
  // The first story streams as it is written; the others arrive whole.
  auto stream = [&](binserve::request_id, const binserve::generated_token& t) {
    std::lock_guard lock(out);
    std::cout << t.text << std::flush;
  };
  for (const auto& p : prompts) {
    binserve::request r;
    r.prompt = p;
    r.max_new_tokens = 400;
    r.temperature = 0.8f;
    r.top_p = 0.9f;
    r.seed = 7;
    subs.push_back((*svc)->submit(r, subs.empty() ? binserve::token_callback(stream) : nullptr));
  }
  for (size_t i = 0; i < subs.size(); ++i) {
    auto r = subs[i].future.get();
    std::lock_guard lock(out);
    if (!r.ok()) {
      std::cout << "\n== " << prompts[i] << ": " << r.error().to_string() << "\n";
      continue;
    }
    std::cout << "\n== " << prompts[i] << r->text << "\n[" << r->generated_ids.size() << " tokens, " << r->stop_reason
              << ", bin " << r->bin << ", retries " << r->retries << ", " << r->timings.total_ms << " ms]\n";
  }
  const binserve::stats s = (*svc)->current_stats();
  std::cout << "\nstats: " << s.completed << " completed, " << s.retries << " retries, " << s.tokens_per_s
            << " tokens/s, effective-token ratio " << s.effective_token_ratio << ", latency p50 " << s.latency.p50
            << " ms\n";
  (*svc)->shutdown();
  return 0;
}
