#include "tests/serve_process.hpp"

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/test_paths.hpp"

namespace binserve::testing {

namespace {

// The value of `key=N` in `text`, once its line is complete; 0 when absent.
int port_in(const std::string& text, const std::string& key) {
  const auto at = text.find(key + "=");
  if (at == std::string::npos || text.find('\n', at) == std::string::npos) return 0;
  return std::atoi(text.c_str() + at + key.size() + 1);
}

}  // namespace

serve_process::serve_process(const std::string& config_path)
    : err_path_(::testing::TempDir() + "binserve_serve_" + std::to_string(::getpid()) + "_" +
                std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".err") {
  int out[2];
  if (::pipe(out) != 0) {
    ADD_FAILURE() << "cannot create a pipe";
    return;
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    const int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(err, STDERR_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    const std::string bin = binserve_binary();
    ::execl(bin.c_str(), bin.c_str(), "serve", "--config", config_path.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(out[1]);
  out_fd_ = out[0];
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  char buf[256];
  // The port lines come before `ready`; a port turned off prints none.
  while (std::chrono::steady_clock::now() < deadline && text.find("ready\n") == std::string::npos) {
    pollfd p{out_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  while (true) {  // what is left, without blocking
    pollfd p{out_fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) break;
    const ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  tcp_port_ = port_in(text, "tcp_port");
  http_port_ = port_in(text, "http_port");
  if (tcp_port_ == 0) tcp_port_ = -1;
  if (http_port_ == 0) http_port_ = -1;
  EXPECT_TRUE(tcp_port_ > 0 || http_port_ > 0) << "binserve serve did not start:\n" << text << stderr_text();
}

serve_process::~serve_process() {
  if (wait(std::chrono::milliseconds(0)) == kRunning && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  std::remove(err_path_.c_str());
}

void serve_process::signal(int sig) const { ::kill(pid_, sig); }

int serve_process::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return kRunning;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string serve_process::stderr_text() const {
  std::ifstream in(err_path_);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace binserve::testing
