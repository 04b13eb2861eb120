// The simulator's price of one executor step, in seconds, from what the step
// computes:
//
// live     sequences in the forward (static batches: those not yet finished)
// context  tokens in their KV caches once the step's tokens are appended,
//          summed over the live sequences (what attention reads)
// prefill  tokens fed beyond one per sequence (prompts, resumed outputs)
//
// Three kinds:
//   unit    every step costs `seconds_per_step`, whatever the batch: a static
//           batch's service time is its longest member (the Multi-Bin
//           Batching paper's model)
//   linear  t = base + per_sequence * live + per_context_token * context
//                + per_prefill_token * prefill,
//           fitted to `binserve-bench bench-engine --json` measurements (decode
//           rows at each --contexts value, plus the prefill timings) by
//           least squares on relative error, every coefficient >= 0: the
//           bare forward pass
//   table   t = base(live) + per_context_token * context
//                + per_prefill_token * prefill,
//           base a broken line in the batch size: a value at each knot
//           (1, 2, 4, ... and the largest measured size, those with
//           measured steps around them), linear between knots and along the
//           nearest two beyond them; fitted to a service's step trace
//           (actors/step_trace.hpp) by ordinary least squares, every
//           coefficient >= 0, so the fitted steps sum to the measured
//           total. It keeps what the service really spends per step
//           (sampling, messages, threads) and the shape of small batches
//           that one line through all sizes cannot follow
//
// A value type; any thread may read a const one.
#pragma once

#include <cstdint>
#include <map>
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
  enum class kind { unit, linear, table };

  // The paper's model: `seconds_per_step` per step (> 0), nothing else.
  static cost_model unit(double seconds_per_step = 1.0);

  // The linear model by least squares over `samples`. A term the samples
  // cannot separate from the terms before it (base, per_sequence,
  // per_context_token, per_prefill_token, in this order) is left at 0:
  // bench-engine rows at a single context fold the context cost into
  // per_sequence. Errors: invalid_argument when there are fewer than 2
  // samples or a sample is negative or not finite.
  static status_or<cost_model> fit(const std::vector<cost_sample>& samples);

  // The table model over `samples` (a step trace). A context or prefill
  // term the samples cannot separate from the bases is left at 0. Errors:
  // invalid_argument when there are no samples or a sample is negative,
  // not finite or has no live sequence.
  static status_or<cost_model> fit_table(const std::vector<cost_sample>& samples);

  // Reads `path`: a saved model (`{"kind": "unit"|"linear"|"table", ...}`,
  // as `to_json` writes), a `bench-engine --json` output (fitted linear) or
  // a step trace, one JSON object per line (fitted table). Errors: io_error
  // (cannot open); invalid_argument naming the file and the field (and the
  // line of a trace) at fault; the fits' errors.
  static status_or<cost_model> load(const std::string& path);

  // The same from text; `origin` names it in messages.
  static status_or<cost_model> parse(std::string_view text, const std::string& origin);

  // Seconds the step takes; never below 0 (a fitted intercept or an
  // extrapolated base may be).
  double step_seconds(const step_shape& s) const;

  bool is_unit() const { return kind_ == kind::unit; }
  // unit and linear: the terms; table: per_context_token and
  // per_prefill_token (base and per_sequence are 0; see base_by_live).
  const cost_coefficients& coefficients() const { return c_; }
  // table: knot (batch size) -> fitted base seconds; empty otherwise.
  const std::map<std::int64_t, double>& base_by_live() const { return base_; }

  // `{"kind": ..., ...}`: unit and linear: "base_s", "per_sequence_s",
  // "per_context_token_s", "per_prefill_token_s"; table: "base_s" is an
  // object {"LIVE": seconds, ...} and per_sequence_s is absent.
  std::string to_json() const;
  // Errors: io_error.
  status save(const std::string& path) const;

 private:
  double base_at(std::int64_t live) const;

  enum kind kind_ = kind::linear;
  cost_coefficients c_;
  std::map<std::int64_t, double> base_;  // table only
};

}  // namespace binserve::sim
