// Stop strings through the whole actor pipeline on the real stories260K
// model: the result's text ends right before the stop string and equals the
// greedy text cut there, under a static batch, continuous batching, and a
// sequence policy whose batches overflow their cap, so the stop string is
// found by a restarted run (FCR) or across the resumed tokens (resume).
#include <gtest/gtest.h>

#include "binserve/names.hpp"
#include "binserve/service.hpp"
#include "tests/stories_reference.hpp"

namespace binserve {
namespace {

using testing::stories_reference;

const std::vector<std::string> kPrompts = {"Once upon a time", "Lily wanted a puppy", "The sun was hot", "Tom and Sam"};
constexpr int kCap = 8;  // the sequence policy's first bin: [0, 8), cap 8

const stories_reference& reference() {
  static const stories_reference ref;
  return ref;
}

// A request of `prompt` whose stop string begins in the text of its kCap-th
// greedy token and ends after it: a run capped at kCap tokens cannot find it.
struct stop_case {
  request req;
  std::string cut_text;  // the greedy text before the stop string
};

stop_case make_case(const std::string& prompt) {
  request greedy{.prompt = prompt, .max_new_tokens = 40};
  const generation_result full = reference().run(greedy);
  EXPECT_EQ(full.generated_ids.size(), 40u) << prompt << ": the story must not end early";
  const std::string text = reference().text(prompt, full.generated_ids);
  const std::vector<int> head(full.generated_ids.begin(), full.generated_ids.begin() + kCap);
  std::size_t at = reference().text(prompt, head).size() - 2;
  while (text.find(text.substr(at, 4)) != at) ++at;  // its first occurrence
  greedy.stop = {"no such text", text.substr(at, 4)};
  return {greedy, text.substr(0, at)};
}

struct policy_case {
  std::string policy;
  std::string retry;
};

void PrintTo(const policy_case& c, std::ostream* os) { *os << c.policy << ", retry " << c.retry; }

class StopStrings : public ::testing::TestWithParam<policy_case> {};

TEST_P(StopStrings, TextEndsBeforeTheStopStringAsTheGreedyTextCutThere) {
  BINSERVE_REQUIRE_SHARED(stories_reference::kModel);
  service_config c = stories_reference::service_for(GetParam().policy, 4);
  c.policy.bin_width = kCap;
  c.policy.variable_batch = false;
  c.policy.retry = from_name<retry_mode>(GetParam().retry).value();
  auto svc = service::start(c);
  ASSERT_TRUE(svc.ok()) << svc.error().to_string();
  std::vector<stop_case> cases;
  std::vector<submission> subs;
  for (const std::string& p : kPrompts) {
    cases.push_back(make_case(p));
    subs.push_back((*svc)->submit(cases.back().req));
  }
  for (size_t i = 0; i < subs.size(); ++i) {
    auto r = subs[i].future.get();
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->stop_reason, "stop_string") << kPrompts[i];
    EXPECT_EQ(r->text, cases[i].cut_text) << kPrompts[i] << ", stop " << cases[i].req.stop[1];
    const generation_result direct = reference().run(cases[i].req);
    EXPECT_EQ(direct.reason, stop_reason::stop_string) << kPrompts[i];
    EXPECT_EQ(r->generated_ids, direct.generated_ids) << kPrompts[i];
    EXPECT_GT(static_cast<int>(r->generated_ids.size()), kCap) << kPrompts[i];
    if (GetParam().policy == "sequence") {
      EXPECT_EQ(r->retries, 1) << "it overflowed the first bin's cap";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, StopStrings,
                         ::testing::Values(policy_case{"vanilla", "restart"}, policy_case{"continuous", "restart"},
                                           policy_case{"sequence", "restart"}, policy_case{"sequence", "resume"}),
                         [](const auto& info) { return info.param.policy + "_" + info.param.retry; });

}  // namespace
}  // namespace binserve
