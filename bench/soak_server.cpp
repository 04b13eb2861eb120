#include "bench/soak_server.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace binserve::tools {

namespace {

// Reads the child's stdout until a `tcp_port=N` line; -1 on end of file or
// after 60 s. The child's later output is left in the pipe (a few lines).
int read_port(int fd) {
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  char buf[512];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return -1;
    text.append(buf, static_cast<std::size_t>(n));
    const auto at = text.find("tcp_port=");
    const auto nl = at == std::string::npos ? at : text.find('\n', at);
    if (nl != std::string::npos) return std::atoi(text.c_str() + at + 9);
  }
  return -1;
}

// The binserve program beside this one (binserve-bench is built and
// installed in the same folder); "binserve" (looked up on PATH) when this
// executable's path cannot be read.
std::string binserve_beside_this() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("binserve") : (self.parent_path() / "binserve").string();
}

int exit_code_of(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return -1;
}

}  // namespace

status_or<soak_server> soak_server::spawn(const std::string& config_path) {
  const std::string binserve = binserve_beside_this();
  int out[2];
  if (::pipe(out) != 0) return status(error_code::io_error, "soak: cannot create a pipe");
  const pid_t pid = ::fork();
  if (pid < 0) return status(error_code::io_error, "soak: cannot fork");
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    ::execlp(binserve.c_str(), "binserve", "serve", "--config", config_path.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(out[1]);
  const int port = read_port(out[0]);
  soak_server server(pid, port, out[0]);
  if (port <= 0) {
    server.stop();
    return status(error_code::io_error,
                  "soak: `" + binserve + " serve --config " + config_path + "` exited or printed no tcp_port");
  }
  return server;
}

soak_server::soak_server(soak_server&& other) noexcept
    : pid_(other.pid_), port_(other.port_), out_fd_(other.out_fd_), exit_code_(other.exit_code_) {
  other.pid_ = -1;
  other.out_fd_ = -1;
}

soak_server::~soak_server() { stop(); }

int soak_server::stop() {
  if (pid_ <= 0) return exit_code_;
  wait_or_kill();
  if (out_fd_ >= 0) ::close(out_fd_);
  out_fd_ = -1;
  return exit_code_;
}

void soak_server::wait_or_kill() {
  ::kill(pid_, SIGTERM);
  int wstatus = 0;
  for (int i = 0; i < 300; ++i) {
    if (::waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      exit_code_ = exit_code_of(wstatus);
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &wstatus, 0);
  exit_code_ = exit_code_of(wstatus);
  pid_ = -1;
}

long long resident_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  return -1;
}

}  // namespace binserve::tools
