// A `binserve serve --config FILE` child process for `binserve-bench soak`:
// the binserve program beside this one, its TCP port read from its first output lines,
// its resident memory read from /proc, stopped with SIGTERM.
//
// Owned by one thread. The destructor stops the child if it still runs.
#pragma once

#include <sys/types.h>
#include <string>

#include "binserve/status.hpp"

namespace binserve::tools {

class soak_server {
 public:
  // Starts the child and waits (at most 60 s) for its `tcp_port=N` line.
  // Errors: io_error (cannot start it, or it exited or printed no tcp_port:
  // a deployment with tcp_port -1 cannot be soaked).
  static status_or<soak_server> spawn(const std::string& config_path);

  soak_server(soak_server&& other) noexcept;
  soak_server& operator=(soak_server&&) = delete;
  soak_server(const soak_server&) = delete;
  ~soak_server();

  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  // SIGTERM, then waits (at most 30 s, then SIGKILL). Returns the exit code
  // (128 + signal when killed by one). Idempotent.
  int stop();

 private:
  void wait_or_kill();
  soak_server(pid_t pid, int port, int out_fd) : pid_(pid), port_(port), out_fd_(out_fd) {}
  pid_t pid_ = -1;
  int port_ = 0;
  int out_fd_ = -1;  // the child's stdout, kept open so that its last lines do not fail
  int exit_code_ = -1;
};

// Resident memory of process `pid` in KiB (VmRSS of /proc/PID/status); -1
// when it cannot be read.
long long resident_kib(pid_t pid);

}  // namespace binserve::tools
