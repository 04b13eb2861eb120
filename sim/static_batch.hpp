// The timing of one static batch on an executor, as the executor actor runs
// it: every step forwards the sequences still live; a sequence leaves after
// its own number of steps (finished, or at the batch's cap); the batch ends
// when the last one leaves. The first step also prefills each sequence.
//
// Pure: the simulator prices a whole batch at dispatch with this.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/cost_model.hpp"

namespace binserve::sim {

struct batch_member {
  int steps = 1;          // steps it stays (>= 1)
  std::int64_t held = 1;  // tokens its first step feeds (prompt + resumed output, >= 1)
};

struct batch_timing {
  std::vector<double> leave_s;  // [members]: seconds after the start at which each leaves
  double first_step_s = 0;      // the first step's end: each member's first token
  double duration_s = 0;        // the last member's leave time
  int steps = 0;                // the longest member's steps
};

// Context per step: each live member holds `held` tokens after its first
// step and one more after every later one (see cost_model's step_shape).
// Precondition: members is not empty.
batch_timing time_static_batch(const std::vector<batch_member>& members, const cost_model& cost);

}  // namespace binserve::sim
