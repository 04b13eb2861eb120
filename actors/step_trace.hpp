// The step trace: one line per executor step, as the service ran it, for
// fitting the simulator's cost model (sim/cost_model.hpp, kind "table") to
// what the service really spends, not only the bare forward pass.
//
// A line is one JSON object:
//   {"executor": 0, "live": 16, "context": 2210, "prefill": 0, "seconds": 0.0091}
// live     sequences in the step's forward
// context  tokens in their KV caches once the step's tokens are appended
// prefill  tokens fed beyond one per sequence (prompts, resumed outputs)
// seconds  from this step's start to the next step's start on the same
//          executor, while it had work left (so the forward, the sampling,
//          the token and result messages and the executor's own mailbox
//          turn); the last step of a run of work: to its own end
//
// Local executors only: a worker node's executors write no trace. Every
// local executor of a service appends to the one file; a line is written
// whole under a lock. Thread-safe.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "binserve/status.hpp"

namespace binserve {

struct step_record {
  int executor = 0;
  std::int64_t live = 0, context_tokens = 0, prefill_tokens = 0;
  double seconds = 0;
};

class step_trace {
 public:
  // Opens `path` for appending. Errors: io_error naming the path.
  static status_or<std::shared_ptr<step_trace>> open(const std::string& path);

  void write(const step_record& r);

 private:
  explicit step_trace(std::ofstream out) : out_(std::move(out)) {}
  std::mutex mu_;
  std::ofstream out_;
};

// The records of a trace's text, in order; `origin` names it in errors.
// Blank lines are skipped. Errors: invalid_argument naming the origin and
// line (not a JSON object, a field missing, negative or not a number).
status_or<std::vector<step_record>> parse_step_trace(std::string_view text, const std::string& origin);

}  // namespace binserve
