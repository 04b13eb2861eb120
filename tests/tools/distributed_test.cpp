// Issue 8 end to end: a coordinator (an in-process service listing
// `workers:`) and `binserve worker` processes on loopback, all on the real
// stories260K model. Every request gets exactly one final value with the
// greedy text of a request run alone; both workers serve; a worker killed
// with SIGKILL mid-load loses no request, and once restarted on its port it
// serves again; a worker with another model is refused, naming both sides.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "binserve/service.hpp"
#include "gpu/generate.hpp"
#include "gpu/tokenizer.hpp"
#include "predict/probe_predictor.hpp"
#include "tests/direct_greedy.hpp"
#include "tests/test_paths.hpp"

namespace binserve {
namespace {

using namespace std::chrono_literals;
const char* kModel = "models/stories260K.bin";
const std::vector<std::string> kPrompts = {"Once upon a time", "Lily wanted a puppy",    "The sun was hot",
                                           "Tom and Sam",      "One day, a little bird", "The cat sat"};
constexpr int kTokens = 48;

// A `binserve worker` child process; SIGKILLed when destroyed.
class worker_process {
 public:
  worker_process(const std::string& yaml, int port) { start(yaml, port); }
  ~worker_process() { kill(); }
  worker_process(const worker_process&) = delete;
  worker_process& operator=(const worker_process&) = delete;

  int port() const { return port_; }
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  // Starts it and reads its first line, worker_port=N (30 s at most).
  void start(const std::string& yaml, int port) {
    int out[2];
    ASSERT_EQ(::pipe(out), 0);
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::close(out[0]);
      const std::string bin = testing::binserve_binary(), p = std::to_string(port);
      ::execl(bin.c_str(), bin.c_str(), "worker", "--config", yaml.c_str(), "--port", p.c_str(), nullptr);
      ::_exit(127);
    }
    ::close(out[1]);
    std::string line;
    pollfd pfd{out[0], POLLIN, 0};
    char c = 0;
    while (line.find('\n') == std::string::npos && ::poll(&pfd, 1, 30000) > 0 && ::read(out[0], &c, 1) == 1) line += c;
    ::close(out[0]);
    ASSERT_EQ(line.rfind("worker_port=", 0), 0u) << "the worker did not start: '" << line << "'";
    port_ = std::stoi(line.substr(12));
  }
  pid_t pid_ = -1;
  int port_ = 0;
};

// A worker's deployment file, per test process (ctest runs these tests in
// parallel processes), removed when it goes out of scope.
struct worker_yaml {
  worker_yaml(const std::string& name, const std::string& model_line, const std::string& more = "")
      : path(::testing::TempDir() + std::to_string(::getpid()) + "_" + name) {
    std::ofstream(path) << "model:\n  " << model_line << "\nbackend:\n  threads: 1\nexecutors: 1\n" << more;
  }
  worker_yaml(const worker_yaml&) = delete;
  worker_yaml& operator=(const worker_yaml&) = delete;
  ~worker_yaml() { std::remove(path.c_str()); }
  const std::string path;
};

worker_yaml real_model_yaml() { return worker_yaml("worker_real.yaml", "path: " + testing::shared_path(kModel)); }

service_config coordinator_config(const std::vector<int>& worker_ports) {
  service_config c;
  c.model = testing::shared_path(kModel);
  c.threads = 1;
  c.executors = 1;
  c.policy.kind = policy_kind::vanilla;
  c.policy.batch_size = 4;
  c.policy.max_wait = 2ms;
  c.predictor.kind = "fixed";
  c.limits.max_new_tokens = kTokens;
  for (int port : worker_ports) c.workers.push_back({"127.0.0.1", port});
  return c;
}

// Greedy ids of each prompt alone.
const std::vector<std::vector<int>>& golden() {
  static const auto ids = testing::direct_greedy(testing::shared_path(kModel), kPrompts, kTokens);
  return ids;
}

// Polls the service's stats until `ok` holds (false after 30 s).
template <class F>
bool wait_for_stats(service& svc, F ok) {
  for (int i = 0; i < 600; ++i) {
    if (ok(svc.current_stats())) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

bool connected(const stats& s, int node) { return static_cast<int>(s.nodes.size()) > node && s.nodes[node].connected; }

// Requests in flight, counting final values per request.
class load {
 public:
  void submit(service& svc, int n) {
    for (int i = 0; i < n; ++i) {
      const int prompt = static_cast<int>(submitted_++ % kPrompts.size());
      const request_id id = svc.submit({.prompt = kPrompts[prompt], .max_new_tokens = kTokens}, {},
                                       [this, prompt](request_id id, status_or<result> r) { on_final(id, prompt, r); });
      std::lock_guard lock(mu_);
      expected_.insert(id);
    }
  }
  // Waits (60 s at most) for every final value; checks each.
  void check_all() {
    for (int i = 0; i < 1200 && finished_ < submitted_; ++i) std::this_thread::sleep_for(50ms);
    std::lock_guard lock(mu_);
    EXPECT_EQ(finished_.load(), submitted_) << "requests lost";
    for (request_id id : expected_) EXPECT_EQ(finals_[id], 1) << "request " << id;
  }

 private:
  void on_final(request_id id, int prompt, const status_or<result>& r) {
    std::lock_guard lock(mu_);
    if (++finals_[id] == 1) ++finished_;
    if (!r.ok()) {
      ADD_FAILURE() << r.error().to_string();
      return;
    }
    EXPECT_EQ(r->generated_ids, golden()[prompt]) << "request " << id;
  }
  std::mutex mu_;
  std::set<request_id> expected_;
  std::map<request_id, int> finals_;
  std::atomic<long> finished_{0};
  long submitted_ = 0;
};

TEST(Distributed, TwoWorkersServeAndEveryRequestGetsExactlyOneResult) {
  BINSERVE_REQUIRE_SHARED(kModel);
  golden();
  const worker_yaml yaml = real_model_yaml();
  worker_process w1(yaml.path, 0), w2(yaml.path, 0);
  auto svc = service::start(coordinator_config({w1.port(), w2.port()}));
  ASSERT_TRUE(svc.ok()) << svc.error().to_string();
  ASSERT_TRUE(wait_for_stats(**svc, [](const stats& s) { return connected(s, 1) && connected(s, 2); }));
  load l;
  l.submit(**svc, 120);
  l.check_all();
  const stats s = (*svc)->current_stats();
  EXPECT_GT(s.nodes[1].batches, 0) << "worker 1 served nothing";
  EXPECT_GT(s.nodes[2].batches, 0) << "worker 2 served nothing";
  EXPECT_EQ(s.completed, 120);
}

// A probe over stories260K's layers 2 and 5 (its readings are arbitrary:
// what matters is that refreshed predictions never change a request's text).
std::string probe_file() {
  const std::string path = ::testing::TempDir() + std::to_string(::getpid()) + "_probe.json";
  static const std::vector<float> states = [] {
    std::vector<float> v(2 * 64);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = float(i % 7) - 3.0f;
    return v;
  }();
  std::vector<probe_example> rows;
  for (int i = 0; i < 64; ++i) rows.push_back({{states, 16 * (i % 4), 6}, 1 + i % 40});
  auto p = probe_predictor::train(rows, {2, 5}, 16, probe_options{}, 1);
  EXPECT_TRUE(p.ok());
  EXPECT_TRUE(p->save(path).ok());
  return path;
}

TEST(Distributed, WorkersReadTheirProbeAndContinuousBatchesStayExact) {
  BINSERVE_REQUIRE_SHARED(kModel);
  golden();
  const std::string probe = probe_file();
  const worker_yaml yaml("worker_probe.yaml", "path: " + testing::shared_path(kModel),
                         "predictor:\n  probe_file: " + probe + "\n  refresh_tokens: 4\n");
  worker_process w(yaml.path, 0);
  service_config c = coordinator_config({w.port()});
  c.policy.kind = policy_kind::continuous_srpt;
  c.policy.max_batch_size = 4;
  c.predictor.probe_file = probe;
  c.predictor.refresh_tokens = 4;
  auto svc = service::start(c);
  ASSERT_TRUE(svc.ok()) << svc.error().to_string();
  ASSERT_TRUE(wait_for_stats(**svc, [](const stats& s) { return connected(s, 1); }));
  load l;
  l.submit(**svc, 40);
  l.check_all();
  EXPECT_GT((*svc)->current_stats().nodes[1].batches, 0) << "the worker served nothing";
  std::remove(probe.c_str());
}

TEST(Distributed, KilledWorkerLosesNoRequestAndServesAgainWhenRestarted) {
  BINSERVE_REQUIRE_SHARED(kModel);
  golden();
  const worker_yaml yaml = real_model_yaml();
  auto w1 = std::make_unique<worker_process>(yaml.path, 0);
  worker_process w2(yaml.path, 0);
  const int port1 = w1->port();
  auto svc = service::start(coordinator_config({port1, w2.port()}));
  ASSERT_TRUE(svc.ok()) << svc.error().to_string();
  ASSERT_TRUE(wait_for_stats(**svc, [](const stats& s) { return connected(s, 1) && connected(s, 2); }));
  load l;
  l.submit(**svc, 200);
  ASSERT_TRUE(wait_for_stats(**svc, [](const stats& s) { return s.nodes[1].batches >= 2; }));
  w1->kill();  // SIGKILL, with its next batch in flight
  l.check_all();
  stats s = (*svc)->current_stats();
  EXPECT_FALSE(s.nodes[1].connected);
  EXPECT_GE(s.nodes[1].executor_failures, 1);
  EXPECT_GT(s.requeued, 0) << "the killed worker had no batch in flight";
  const auto before = s.nodes[1].batches;
  w1 = std::make_unique<worker_process>(yaml.path, port1);  // restarted on its port
  ASSERT_TRUE(wait_for_stats(**svc, [](const stats& s) { return connected(s, 1); }));
  l.submit(**svc, 80);
  l.check_all();
  EXPECT_GT((*svc)->current_stats().nodes[1].batches, before) << "the restarted worker was not used";
}

TEST(Distributed, WorkerWithAnotherModelIsRefusedNamingBothSides) {
  BINSERVE_REQUIRE_SHARED(kModel);
  const worker_yaml yaml("worker_dummy.yaml", "dummy: stories260k");
  worker_process other(yaml.path, 0);
  auto svc = service::start(coordinator_config({other.port()}));
  ASSERT_TRUE(svc.ok()) << svc.error().to_string();
  ASSERT_TRUE(wait_for_stats(**svc, [](const stats& s) {
    return s.nodes.size() > 1 && s.nodes[1].problem.find("different model") != std::string::npos;
  }));
  const node_summary n = (*svc)->current_stats().nodes[1];
  EXPECT_FALSE(n.connected);
  EXPECT_NE(n.problem.find("the worker serves dummy:stories260k (fingerprint"), std::string::npos) << n.problem;
  EXPECT_NE(n.problem.find("the coordinator's model has fingerprint"), std::string::npos) << n.problem;
  load l;  // still served, locally
  l.submit(**svc, 8);
  l.check_all();
}

}  // namespace
}  // namespace binserve
