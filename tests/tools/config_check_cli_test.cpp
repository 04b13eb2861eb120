// `binserve config check` and `binserve serve` run one validation (issue 14,
// items 5 and 11): a file serve would refuse, check refuses, both with
// FILE:LINE:COL and the key; bounds on executors and threads; and memory
// that runs out while serve starts is an out_of_memory error, not an abort.

#include <gtest/gtest.h>

#include "gpu/backend.hpp"
#include "tests/config/bad_deployments.hpp"
#include "tests/run_binserve.hpp"
#include "tests/test_paths.hpp"

// gcc says so with __SANITIZE_*__, clang with __has_feature.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BINSERVE_SANITIZED 1
#elif defined(__has_feature)
#define BINSERVE_SANITIZED (__has_feature(address_sanitizer) || __has_feature(thread_sanitizer))
#else
#define BINSERVE_SANITIZED 0
#endif

namespace binserve {
namespace {

class ConfigCheckCli : public testing::deployment_folder {
 protected:
  // `binserve serve --config FILE` on free ports, killed after a minute
  // should it start (exit code 124 then).
  testing::run_result serve(const std::string& file, const std::string& limits = "") {
    return testing::run_shell(limits + "exec timeout 60 " + testing::binserve_binary() + " serve --config " + file +
                              " --tcp-port 0 --http-port 0 2>&1");
  }
};

TEST_F(ConfigCheckCli, CheckAndServeRefuseEachFileAlikeWithFileLineAndKey) {
  for (const testing::bad_deployment& b : testing::bad_deployments(dir_)) {
    const std::string file = write_deployment(b.yaml);
    const std::string expected =
        "binserve: config_invalid: " + file + ":" + testing::position_of(b.yaml, b.value) + ": " + b.key + ": ";
    auto r = testing::run_binserve("config check " + file);
    EXPECT_EQ(r.exit_code, 1) << b.name << ": " << r.out;
    EXPECT_NE(r.out.find(expected), std::string::npos) << b.name << ": " << r.out;
    EXPECT_NE(r.out.find(b.what), std::string::npos) << b.name << ": " << r.out;
    r = serve(file);
    EXPECT_EQ(r.exit_code, 1) << b.name << ": " << r.out;
    EXPECT_NE(r.out.find(expected), std::string::npos) << b.name << ": " << r.out;
  }
}

TEST_F(ConfigCheckCli, ExecutorsAndThreadsAreBoundedBeforeAnythingStarts) {
  const std::string executors = write_deployment("model: {dummy: stories260k}\nexecutors: 1024\n");
  auto r = testing::run_binserve("config check " + executors);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find(executors + ":2:12: executors: must be in [0, 256] (got 1024)"), std::string::npos) << r.out;
  // 100000 threads hung serve's first request; now serve refuses the file.
  const std::string threads = write_deployment("model: {dummy: stories260k}\nbackend: {threads: 100000}\n");
  const std::string message = threads + ":2:20: backend.threads: must be in [0, 1024] (got 100000)";
  r = testing::run_binserve("config check " + threads);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find(message), std::string::npos) << r.out;
  r = serve(threads);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find(message), std::string::npos) << r.out;
}

// A KV cache the host has room for (the check passes it), in a process whose
// address space is capped below it: creating the backend throws
// std::bad_alloc, which used to abort serve.
TEST_F(ConfigCheckCli, AllocationFailureWhileServeStartsIsOutOfMemory) {
#if BINSERVE_SANITIZED
  GTEST_SKIP() << "skipped: a sanitizer build reserves terabytes of address space for its shadow "
                  "memory, which `ulimit -v` forbids: binserve would not start at all";
#endif
  constexpr std::int64_t kKvBytes = std::int64_t(2) << 30;
  const std::int64_t host = host_memory_bytes();
  if (host / 10 * 9 < kKvBytes * 5 / 4)
    GTEST_SKIP() << "skipped: the host's " << (host >> 20) << " MiB leave no room for a 2 GiB KV cache "
                 << "that the check passes";
  const std::string file =
      write_deployment("model: {dummy: stories260k}\nbackend: {kv_cache_bytes: " + std::to_string(kKvBytes) +
                       "}\nserver: {tcp_port: -1, http_port: -1}\n");
  ASSERT_EQ(testing::run_binserve("config check " + file).exit_code, 0);
  const auto r = serve(file, "ulimit -v 1048576 && ");  // 1 GiB of address space
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("binserve: out_of_memory: dummy:stories260k: the cpu backend ran out of host memory"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace binserve
