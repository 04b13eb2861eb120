// service::current_stats without blocking (issue 15): the servers' io
// threads ask for the stats and are answered on a binserve thread.
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "binserve/service.hpp"

namespace binserve {
namespace {

std::unique_ptr<service> quick_service() {
  service_config c;
  c.model = "dummy:stories260k";
  c.threads = 1;
  c.policy.kind = policy_kind::continuous;
  c.predictor.kind = "fixed";
  auto svc = service::start(c);
  EXPECT_TRUE(svc.ok()) << svc.error().to_string();
  return std::move(svc).value();
}

TEST(ServiceStats, TheCallbackFormAnswersOnceOnABinserveThread) {
  auto svc = quick_service();
  request r;
  r.prompt = "Once";
  r.max_new_tokens = 3;
  ASSERT_TRUE(svc->submit(r).future.get().ok());
  std::promise<std::pair<status_or<stats>, std::thread::id>> answered;
  int calls = 0;
  svc->current_stats([&](status_or<stats> s) {
    ++calls;
    answered.set_value({std::move(s), std::this_thread::get_id()});
  });
  auto [s, thread] = answered.get_future().get();
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(s->completed, 1);
  EXPECT_NE(thread, std::this_thread::get_id()) << "the caller did not wait for it";
  svc->shutdown();
  EXPECT_EQ(calls, 1);
}

TEST(ServiceStats, AfterShutdownTheCallbackSaysShuttingDown) {
  auto svc = quick_service();
  svc->shutdown();
  std::optional<status_or<stats>> got;
  svc->current_stats([&](status_or<stats> s) { got = std::move(s); });
  ASSERT_TRUE(got.has_value()) << "answered at once: there is no actor system left";
  ASSERT_FALSE(got->ok());
  EXPECT_EQ(got->error().code(), error_code::shutting_down);
}

}  // namespace
}  // namespace binserve
