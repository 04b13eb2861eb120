// Where tests find ../shared (models, data) and the binserve binary.
#pragma once

#include <string>

namespace binserve::testing {

// Absolute path of `relative` under the shared/ folder beside the project
// (or under $BINSERVE_SHARED_DIR when set).
std::string shared_path(const std::string& relative);

// Whether the shared file exists; tests that need it GTEST_SKIP() with this
// reason when it does not.
bool has_shared(const std::string& relative);

// Path of build/bin/binserve.
std::string binserve_binary();

// The path of the built binserve-bench program.
std::string binserve_bench_binary();

// Writes `bytes` to `path`; false on failure.
bool write_file(const std::string& path, const std::string& bytes);

}  // namespace binserve::testing

// Skips the current test, printing why, when a shared file is missing.
#define BINSERVE_REQUIRE_SHARED(relative)                                       \
  do {                                                                          \
    if (!::binserve::testing::has_shared(relative))                             \
      GTEST_SKIP() << "skipped: " << ::binserve::testing::shared_path(relative) \
                   << " is absent (../shared not beside the project)";          \
  } while (0)
