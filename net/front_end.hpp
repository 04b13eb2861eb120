// A network front end once started, whatever its protocol (TCP:
// net/tcp_server.hpp, HTTP: net/http_server.hpp): its port, its lossless
// drain and its stop. net/server_core.hpp implements it for both.
#pragma once

#include <chrono>

namespace binserve::net {

class front_end {
 public:
  virtual ~front_end() = default;  // stops it first

  // The bound port (the one chosen when the configured port was 0).
  virtual int port() const = 0;

  // From now on new requests are refused (TCP: a shutting_down error; HTTP:
  // 503 with Retry-After) while those accepted go on. Idempotent; thread-safe.
  virtual void begin_drain() = 0;

  // Waits until every accepted request's final event has been delivered to
  // its client, at most `timeout`; returns how many are still undelivered.
  virtual int wait_drained(std::chrono::milliseconds timeout) = 0;

  // Ends the requests still in flight with an explicit shutting_down error
  // (cancelled in the service), gives those last bytes a moment to go out,
  // closes every connection and joins the io thread. Idempotent.
  virtual void stop() = 0;
};

}  // namespace binserve::net
