// A `binserve serve --config FILE` child process for end-to-end tests: its
// ports read from its first lines, its stderr kept, signalled and waited
// for by the test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

namespace binserve::testing {

class serve_process {
 public:
  // Starts the child and waits (at most 60 s) for the ports it prints
  // (-1 for a port the deployment turns off). Fails the test when it exits
  // or prints none.
  explicit serve_process(const std::string& config_path);
  ~serve_process();  // SIGKILL if it still runs
  serve_process(const serve_process&) = delete;
  serve_process& operator=(const serve_process&) = delete;

  pid_t pid() const { return pid_; }
  int tcp_port() const { return tcp_port_; }
  int http_port() const { return http_port_; }

  void signal(int sig) const;

  static constexpr int kRunning = -1;

  // Waits for the exit (at most `timeout`); the exit code, 128 + signal
  // when killed, or kRunning when it still runs.
  int wait(std::chrono::milliseconds timeout);

  // Everything it wrote on stderr so far.
  std::string stderr_text() const;

 private:
  pid_t pid_ = -1;
  int exit_code_ = kRunning;
  int tcp_port_ = -1;
  int http_port_ = -1;
  int out_fd_ = -1;
  std::string err_path_;
};

}  // namespace binserve::testing
