// state_trace files: a round trip keeps every row; damaged files are
// model_invalid naming the path, never a crash.
#include "predict/state_trace.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

namespace binserve {
namespace {

std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() / ("binserve_state_trace_" + std::to_string(getpid()) + "_" + name))
      .string();
}

state_trace sample_trace() {
  state_trace t({2, 4}, 3, 16);
  t.add(0, 0, std::vector<float>{1, 2, 3, 4, 5, 6});
  t.add(0, 16, std::vector<float>{-1, -2, -3, -4, -5, -6});
  t.add(7, 0, std::vector<float>{0.5f, 0, 0, 0, 0, 1e9f});
  return t;
}

TEST(StateTrace, ARoundTripKeepsEveryRow) {
  const std::string path = temp_path("roundtrip");
  const state_trace t = sample_trace();
  ASSERT_TRUE(t.save(path).ok());
  auto back = state_trace::load(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->layers(), (std::vector<int>{2, 4}));
  EXPECT_EQ(back->dim(), 3);
  EXPECT_EQ(back->refresh_tokens(), 16);
  ASSERT_EQ(back->rows(), 3u);
  for (std::size_t r = 0; r < 3; ++r) {
    EXPECT_EQ(back->generation(r), t.generation(r));
    EXPECT_EQ(back->step(r), t.step(r));
    const auto a = back->states(r), b = t.states(r);
    EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin()));
  }
}

TEST(StateTrace, DamagedFilesAreModelInvalidNamingThePath) {
  const std::string path = temp_path("damaged");
  ASSERT_TRUE(sample_trace().save(path).ok());
  const auto size = std::filesystem::file_size(path);
  std::string bytes(size, '\0');
  std::ifstream(path, std::ios::binary).read(bytes.data(), size);
  auto load_bytes = [&](const std::string& b) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << b;
    return state_trace::load(path);
  };
  for (const std::string& damaged :
       {bytes.substr(0, size - 5), bytes + "x", "XSTRACE1" + bytes.substr(8), bytes.substr(0, 10)}) {
    auto r = load_bytes(damaged);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), error_code::model_invalid);
    EXPECT_NE(r.error().message().find(path), std::string::npos) << r.error().message();
  }
  std::filesystem::remove(path);
  EXPECT_EQ(state_trace::load(path).error().code(), error_code::io_error);
}

}  // namespace
}  // namespace binserve
