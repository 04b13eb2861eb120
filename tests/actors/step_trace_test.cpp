// The executors' step trace: one line per step with the shape the
// simulator prices, written by the real service, and its reader's errors.
#include "actors/step_trace.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include <gtest/gtest.h>

#include "actors/service_setup.hpp"
#include "actors/trace_replay.hpp"

#include "binserve/service.hpp"

namespace binserve {
namespace {

std::string temp_file(const std::string& name) {
  return (std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()) + ".jsonl")).string();
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One static batch of four requests with 4-token prompts and 3, 5, 7 and 9
// tokens to generate: 9 steps, the first feeding the prompts, each step's
// live sequences those not yet finished.
TEST(StepTrace, TheServiceWritesEachStepsShape) {
  const std::string path = temp_file("binserve_step_trace");
  service_setup c;
  c.model = "dummy:stories260k";
  c.threads = 1;
  c.policy.kind = policy_kind::vanilla;
  c.policy.batch_size = 4;
  c.policy.max_wait = std::chrono::milliseconds(10000);  // only a full batch runs
  c.step_trace = path;
  {
    auto svc = start_service(c);
    ASSERT_TRUE(svc.ok()) << svc.error().to_string();
    std::vector<submission> subs;
    for (int length : {3, 5, 7, 9}) {
      request r;
      r.prompt_ids = {1, 10, 20, 30};
      r.max_new_tokens = 16;
      subs.push_back(submit_replay(**svc, r, {.target_length = length}));
    }
    for (auto& s : subs) ASSERT_TRUE(s.future.get().ok());
  }
  auto records = parse_step_trace(read_all(path), path);
  std::filesystem::remove(path);
  ASSERT_TRUE(records.ok()) << records.error().to_string();
  ASSERT_EQ(records->size(), 9u);
  for (size_t i = 0; i < records->size(); ++i) {
    const step_record& r = (*records)[i];
    const int step = static_cast<int>(i) + 1;
    const int live = step <= 3 ? 4 : step <= 5 ? 3 : step <= 7 ? 2 : 1;
    EXPECT_EQ(r.live, live) << "step " << step;
    EXPECT_EQ(r.prefill_tokens, step == 1 ? 4 * 3 : 0) << "step " << step;
    // Each live sequence's cache: its prompt and the step - 1 tokens before.
    EXPECT_EQ(r.context_tokens, live * (4 + step - 1)) << "step " << step;
    EXPECT_GT(r.seconds, 0.0) << "step " << step;
    EXPECT_EQ(r.executor, 0);
  }
}

TEST(StepTrace, AnUnopenableFileFailsStart) {
  service_setup c;
  c.model = "dummy:stories260k";
  c.step_trace = "/nonexistent-dir/trace.jsonl";
  auto svc = start_service(c);
  ASSERT_FALSE(svc.ok());
  EXPECT_EQ(svc.error().code(), error_code::io_error);
  EXPECT_NE(svc.error().message().find("/nonexistent-dir/trace.jsonl"), std::string::npos);
}

TEST(StepTrace, ParseNamesTheLineAtFault) {
  const std::string good = R"({"executor":0,"live":2,"context":10,"prefill":0,"seconds":0.01})";
  auto ok = parse_step_trace(good + "\n\n" + good + "\n", "t.jsonl");
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(ok->size(), 2u);
  const auto message = [&](const std::string& text) {
    auto r = parse_step_trace(text, "t.jsonl");
    return r.ok() ? std::string("ok") : r.error().message();
  };
  EXPECT_EQ(message(good + "\nnot json\n"), "t.jsonl:2: not a JSON object");
  EXPECT_NE(message(R"({"executor":0,"live":2,"context":10,"prefill":0})").find("t.jsonl:1: "), std::string::npos);
  EXPECT_NE(message(R"({"executor":0,"live":-2,"context":10,"prefill":0,"seconds":1})").find("'live'"),
            std::string::npos);
}

}  // namespace
}  // namespace binserve
