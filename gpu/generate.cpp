#include "gpu/generate.hpp"

#include <algorithm>

namespace binserve {

const char* to_string(stop_reason reason) {
  switch (reason) {
    case stop_reason::stop_token: return "stop_token";
    case stop_reason::max_new_tokens: return "max_new_tokens";
    case stop_reason::target_length: return "target_length";
    case stop_reason::context_full: return "context_full";
  }
  return "unknown";
}

status validate_request(const generation_request& r, const model& m) {
  if (r.prompt_ids.empty()) return status(error_code::invalid_argument, "the prompt is empty");
  for (int t : r.prompt_ids)
    if (t < 0 || t >= m.config.vocab_size)
      return status(error_code::invalid_argument,
                    "prompt token " + std::to_string(t) + " is outside the vocabulary");
  if (static_cast<int>(r.prompt_ids.size()) >= m.config.n_ctx)
    return status(error_code::input_too_large,
                  "the prompt has " + std::to_string(r.prompt_ids.size()) +
                      " tokens; the model's context is " + std::to_string(m.config.n_ctx));
  if (r.max_new_tokens < 1)
    return status(error_code::invalid_argument, "max_new_tokens must be at least 1");
  if (r.target_length < 0 || r.target_length > r.max_new_tokens)
    return status(error_code::invalid_argument, "target_length must be in [0, max_new_tokens]");
  if (r.sampling.temperature < 0.0f || !(r.sampling.top_p > 0.0f && r.sampling.top_p <= 1.0f))
    return status(error_code::invalid_argument, "temperature must be >= 0 and top_p in (0, 1]");
  return status::ok_status();
}

std::optional<stop_reason> stop_after(const generation_request& r, const model& m, int generated,
                                      int token) {
  if (r.target_length > 0) {
    if (generated >= r.target_length) return stop_reason::target_length;
  } else if (std::find(m.stop_tokens.begin(), m.stop_tokens.end(), token) != m.stop_tokens.end()) {
    return stop_reason::stop_token;
  }
  if (generated >= r.max_new_tokens) return stop_reason::max_new_tokens;
  if (static_cast<int>(r.prompt_ids.size()) + generated >= m.config.n_ctx)
    return stop_reason::context_full;
  return std::nullopt;
}

namespace {

// One request's sequence in a running batch.
struct live_sequence {
  int index;  // into requests
  int seq;    // backend sequence
  int last;   // the token to feed next
};

// Samples one token per chunk of the last forward for `live`, records it and
// drops the sequences that stop.
void step_tokens(backend& b, const std::vector<generation_request>& requests,
                 std::vector<live_sequence>& live, std::vector<generation_result>& results,
                 const sampled_token_callback& on_token) {
  std::vector<sampling_params> params;
  std::vector<std::uint64_t> steps;
  for (const live_sequence& s : live) {
    params.push_back(requests[s.index].sampling);
    steps.push_back(results[s.index].generated_ids.size());
  }
  const std::vector<int> tokens = b.sample(params, steps);
  std::vector<live_sequence> next;
  for (size_t i = 0; i < live.size(); ++i) {
    const live_sequence& s = live[i];
    auto& out = results[s.index];
    const int n = static_cast<int>(out.generated_ids.size()) + 1;
    if (on_token) on_token(s.index, tokens[i]);
    const auto stop = stop_after(requests[s.index], b.served_model(), n, tokens[i]);
    if (!stop || *stop != stop_reason::stop_token) out.generated_ids.push_back(tokens[i]);
    if (stop) {
      out.reason = *stop;
      b.close_sequence(s.seq);
    } else {
      next.push_back({s.index, s.seq, tokens[i]});
    }
  }
  live = std::move(next);
}

}  // namespace

status_or<std::vector<generation_result>> generate_batch(
    backend& b, const std::vector<generation_request>& requests, const sampled_token_callback& on_token,
    batch_work* work) {
  const model& m = b.served_model();
  std::vector<live_sequence> live;
  auto fail = [&](status s) {
    for (const live_sequence& l : live) b.close_sequence(l.seq);
    return s;
  };
  for (size_t i = 0; i < requests.size(); ++i) {
    const generation_request& r = requests[i];
    if (status s = validate_request(r, m); !s.ok())
      return fail(status(s.code(), "request " + std::to_string(i) + ": " + s.message()));
    const int reserve = std::min<int>(m.config.n_ctx, r.prompt_ids.size() + r.max_new_tokens);
    auto seq = b.open_sequence(reserve);
    if (!seq.ok()) return fail(seq.error());
    live.push_back({static_cast<int>(i), *seq, -1});
  }
  std::vector<generation_result> results(requests.size());
  std::vector<sequence_chunk> chunks;
  for (const live_sequence& l : live) chunks.push_back({l.seq, requests[l.index].prompt_ids});
  batch_work done;
  while (!chunks.empty()) {
    if (status s = b.forward(chunks); !s.ok()) return fail(s);
    step_tokens(b, requests, live, results, on_token);
    chunks.clear();
    for (const live_sequence& l : live) chunks.push_back({l.seq, std::span<const int>(&l.last, 1)});
    done.decode_steps += chunks.empty() ? 0 : 1;
  }
  for (const auto& r : results) done.useful_tokens += r.generated_ids.size();
  if (work) *work = done;
  return results;
}

}  // namespace binserve
