// Where the intake actor delivers what clients receive: streamed tokens and
// exactly one final value per request. Implemented by the service (futures
// and callbacks); called from the intake actor's thread only.
#pragma once

#include "binserve/request.hpp"
#include "binserve/status.hpp"

namespace binserve {

class client_sink {
 public:
  virtual ~client_sink() = default;
  // Token number `index` of request `id`, in order, each index once.
  virtual void on_token(request_id id, int index, int token, const token_logprobs* logprobs) = 0;
  // Called exactly once per request accepted or rejected by the intake.
  virtual void on_final(request_id id, status_or<result> r) = 0;
};

}  // namespace binserve
