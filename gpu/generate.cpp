#include "gpu/generate.hpp"

#include <algorithm>

#include "gpu/decode_step.hpp"
#include "gpu/sequence_output.hpp"

namespace binserve {

const char* to_string(stop_reason reason) {
  switch (reason) {
    case stop_reason::stop_token:
      return "stop_token";
    case stop_reason::stop_string:
      return "stop_string";
    case stop_reason::max_new_tokens:
      return "max_new_tokens";
    case stop_reason::target_length:
      return "target_length";
    case stop_reason::context_full:
      return "context_full";
  }
  return "unknown";
}

namespace {

constexpr float kMaxTemperature = 2.0f;

bool in_range(float v, float lo, float hi) { return v >= lo && v <= hi; }  // false for NaN

// The checks of the fields beyond prompt, lengths and sampling.
status validate_rules(const generation_request& r, const model& m) {
  auto bad = [](std::string what) { return status(error_code::invalid_argument, std::move(what)); };
  if (r.rules.min_tokens < 0 || r.rules.min_tokens > r.max_new_tokens)
    return bad("min_tokens must be in [0, max_new_tokens]");
  if (!in_range(r.rules.presence_penalty, -2, 2)) return bad("presence_penalty must be in [-2, 2]");
  if (!in_range(r.rules.frequency_penalty, -2, 2)) return bad("frequency_penalty must be in [-2, 2]");
  std::vector<int> biased;
  for (const logit_bias_entry& e : r.rules.bias) {
    if (e.token < 0 || e.token >= m.config.vocab_size)
      return bad("logit_bias: token " + std::to_string(e.token) + " is outside the vocabulary");
    if (!in_range(e.bias, -100, 100)) return bad("logit_bias: each bias must be in [-100, 100]");
    biased.push_back(e.token);
  }
  std::sort(biased.begin(), biased.end());
  if (std::adjacent_find(biased.begin(), biased.end()) != biased.end()) return bad("logit_bias: a token appears twice");
  if (r.logprobs < -1 || r.logprobs > kMaxLogprobs) return bad("logprobs must be in [0, 20] (or -1: none)");
  if (r.stop.size() > kMaxStopStrings) return bad("at most 16 stop strings");
  for (const std::string& s : r.stop)
    if (s.empty() || s.size() > kMaxStopStringBytes) return bad("each stop string must have 1 to 256 bytes");
  return status::ok_status();
}

}  // namespace

status validate_request(const generation_request& r, const model& m) {
  if (r.prompt_ids.empty()) return status(error_code::invalid_argument, "the prompt is empty");
  for (int t : r.prompt_ids)
    if (t < 0 || t >= m.config.vocab_size)
      return status(error_code::invalid_argument, "prompt token " + std::to_string(t) + " is outside the vocabulary");
  if (static_cast<int>(r.prompt_ids.size()) >= m.config.n_ctx)
    return status(error_code::input_too_large, "the prompt has " + std::to_string(r.prompt_ids.size()) +
                                                   " tokens; the model's context is " + std::to_string(m.config.n_ctx));
  if (r.max_new_tokens < 1) return status(error_code::invalid_argument, "max_new_tokens must be at least 1");
  if (r.target_length < 0 || r.target_length > r.max_new_tokens)
    return status(error_code::invalid_argument, "target_length must be in [0, max_new_tokens]");
  if (!(r.sampling.temperature >= 0.0f && r.sampling.temperature <= kMaxTemperature))
    return status(error_code::invalid_argument, "temperature must be in [0, 2]");
  if (!(r.sampling.top_p > 0.0f && r.sampling.top_p <= 1.0f))
    return status(error_code::invalid_argument, "top_p must be in (0, 1]");
  return validate_rules(r, m);
}

std::optional<stop_reason> stop_after(const generation_request& r, const model& m, int generated, int token,
                                      bool stop_string_done) {
  if (r.target_length > 0) {
    if (generated >= r.target_length) return stop_reason::target_length;
  } else if (!r.ignore_eos && std::find(m.stop_tokens.begin(), m.stop_tokens.end(), token) != m.stop_tokens.end()) {
    return stop_reason::stop_token;
  }
  if (stop_string_done && r.target_length == 0) return stop_reason::stop_string;
  if (generated >= r.max_new_tokens) return stop_reason::max_new_tokens;
  if (static_cast<int>(r.prompt_ids.size()) + generated >= m.config.n_ctx) return stop_reason::context_full;
  return std::nullopt;
}

status_or<std::vector<sampled_token>> sample_rows(const backend& b, std::span<const sampling_row> rows) {
  std::vector<sampling_params> params;
  std::vector<std::uint64_t> steps;
  for (const sampling_row& r : rows) {
    params.push_back(r.request->sampling);
    steps.push_back(r.generated.size());
  }
  const status_or<std::vector<int>> fast = b.sample(params, steps);
  if (!fast.ok()) return fast.error();
  const std::vector<int>& stops = b.served_model().stop_tokens;
  std::vector<sampled_token> out(rows.size());
  std::vector<float> processed;
  bool read_logits = false;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const generation_request& r = *rows[i].request;
    out[i].token = (*fast)[i];
    if (!r.rules.active(static_cast<int>(rows[i].generated.size())) && r.logprobs < 0) continue;
    const std::span<const float> logits = b.logits(static_cast<int>(i));
    read_logits = true;
    if (r.rules.active(static_cast<int>(rows[i].generated.size()))) {
      processed.assign(logits.begin(), logits.end());
      apply_logit_rules(processed, r.rules, rows[i].generated, stops);
      out[i].token = sample_token(processed, r.sampling, steps[i]);
    }
    if (r.logprobs >= 0) out[i].logprobs = logprobs_of(logits, out[i].token, r.logprobs);
  }
  if (read_logits)
    if (status h = b.health(); !h.ok()) return h;  // those logits were NaNs
  return out;
}

status_or<std::vector<generation_result>> generate_batch(backend& b, const std::vector<generation_request>& requests,
                                                         const sampled_token_callback& on_token, batch_work* work) {
  const model& m = b.served_model();
  std::vector<decoding> seqs;
  seqs.reserve(requests.size());
  std::vector<int> live;  // indices into requests (and seqs) still generating
  auto fail = [&](status s) {
    for (int i : live) b.close_sequence(seqs[i].seq);
    return s;
  };
  const auto tok = std::make_shared<const tokenizer>(m.vocab);
  for (size_t i = 0; i < requests.size(); ++i) {
    const generation_request& r = requests[i];
    if (status s = validate_request(r, m); !s.ok())
      return fail(status(s.code(), "request " + std::to_string(i) + ": " + s.message()));
    const int reserve = std::min<int>(m.config.n_ctx, r.prompt_ids.size() + r.max_new_tokens);
    auto seq = b.open_sequence(reserve);
    if (!seq.ok()) return fail(seq.error());
    seqs.push_back({*seq, r.prompt_ids, sequence_output(r, m, tok)});
    live.push_back(static_cast<int>(i));
  }
  std::vector<generation_result> results(requests.size());
  int steps = 0;  // forwards: the prefill, then decode steps
  while (!live.empty()) {
    std::vector<decoding*> step;
    for (int i : live) step.push_back(&seqs[i]);
    const status_or<std::vector<decoded>> made = decode_step(b, step);
    if (!made.ok()) return fail(made.error());
    ++steps;
    std::vector<int> next;
    for (size_t k = 0; k < live.size(); ++k) {
      const int i = live[k];
      const decoded& d = (*made)[k];
      if (on_token) on_token(i, d.token.token, static_cast<int>(k));
      if (d.token.logprobs && d.kept()) results[i].logprobs.push_back(*d.token.logprobs);
      if (d.stop) {
        results[i].reason = *d.stop;
        b.close_sequence(seqs[i].seq);
      } else {
        next.push_back(i);
      }
    }
    live = std::move(next);
  }
  batch_work done;
  done.decode_steps = std::max(0, steps - 1);
  for (size_t i = 0; i < results.size(); ++i) {
    results[i].generated_ids = seqs[i].out.take_generated();
    done.useful_tokens += results[i].generated_ids.size();
  }
  if (work) *work = done;
  return results;
}

}  // namespace binserve
