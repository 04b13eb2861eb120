// The simulator's price of one executor step: seconds as a linear function
// of what the step computes,
//
//   t = base + per_sequence * live + per_context_token * context
//            + per_prefill_token * prefill
//
// live     sequences in the forward (static batches: those not yet finished)
// context  tokens in their KV caches once the step's tokens are appended,
//          summed over the live sequences (what attention reads)
// prefill  tokens fed beyond one per sequence (prompts, resumed outputs)
//
// Two ways to get one:
//   unit    every step costs `seconds_per_step`, whatever the batch: a static
//           batch's service time is its longest member (the Multi-Bin Batching
//           paper's model)
//   fitted  least squares on `binserve bench-engine --json` measurements
//           (decode rows at each --contexts value, plus the prefill timings),
//           minimising relative error, with every coefficient >= 0
//
// A value type; any thread may read a const one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "binserve/status.hpp"

namespace binserve::sim {

// What one step computes.
struct step_shape {
  std::int64_t live = 0;
  std::int64_t context_tokens = 0;
  std::int64_t prefill_tokens = 0;
};

// One measured step: its shape and how long it took.
struct cost_sample {
  step_shape shape;
  double seconds = 0;
};

struct cost_coefficients {
  double base = 0, per_sequence = 0, per_context_token = 0, per_prefill_token = 0;  // seconds
};

class cost_model {
 public:
  // The paper's model: `seconds_per_step` per step (> 0), nothing else.
  static cost_model unit(double seconds_per_step = 1.0);

  // Least squares over `samples`. A term the samples cannot separate from
  // the terms before it (base, per_sequence, per_context_token,
  // per_prefill_token, in this order) is left at 0: bench-engine rows at a
  // single context fold the context cost into per_sequence. Errors:
  // invalid_argument when there are fewer samples than fitted terms or a
  // sample is negative or not finite.
  static status_or<cost_model> fit(const std::vector<cost_sample>& samples);

  // Reads `path`: a saved model (`{"kind": "unit"|"linear", ...}`, as
  // `to_json` writes) or a `bench-engine --json` output, which is fitted.
  // Errors: io_error (cannot open); invalid_argument naming the file and the
  // field at fault (not JSON, a missing or non-numeric field); fit's errors.
  static status_or<cost_model> load(const std::string& path);

  // The same from text; `origin` names it in messages.
  static status_or<cost_model> parse(std::string_view text, const std::string& origin);

  // Seconds the step takes; never below 0 (a fitted intercept may be).
  double step_seconds(const step_shape& s) const;

  bool is_unit() const { return unit_; }
  const cost_coefficients& coefficients() const { return c_; }

  // `{"kind": ..., "base_s": ..., "per_sequence_s": ..., ...}`.
  std::string to_json() const;
  // Errors: io_error.
  status save(const std::string& path) const;

 private:
  cost_coefficients c_;
  bool unit_ = false;
};

}  // namespace binserve::sim
