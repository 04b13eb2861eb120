// A static batch's executor reports its progress to the scheduler (the hang
// deadline counts from the last report), rate-limited to one report per
// progress_every_ms so that a fast model does not flood the scheduler. A
// stand-in scheduler counts the reports of one batch on the null backend.
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>

#include <gtest/gtest.h>

#include "actors/executor_actor.hpp"
#include "gpu/null_backend.hpp"

namespace binserve {
namespace {

struct reports {
  std::mutex mu;
  std::vector<std::int64_t> progress;  // computed slots of each progress report
  std::promise<std::int64_t> idle;     // the batch's computed slots
};

// Stands in for the scheduler, the intake and the stats actor: it keeps the
// executor's progress and idle reports and drops everything else.
caf::behavior stand_in(caf::event_based_actor* self, std::shared_ptr<reports> r) {
  // Drops the rest silently (with caf::drop instead, CAF 0.17 stopped
  // delivering the idle report here).
  self->set_default_handler(
      [](caf::scheduled_actor*, caf::message_view&) -> caf::result<caf::message> { return caf::message{}; });
  return {
      [r](progress_atom, int, std::int64_t computed) {
        std::lock_guard lock(r->mu);
        r->progress.push_back(computed);
      },
      [r](idle_atom, int, std::int64_t computed) { r->idle.set_value(computed); },
  };
}

TEST(ExecutorProgress, AStaticBatchReportsProgressAtMostEveryInterval) {
  caf::actor_system_config cfg;
  add_message_types(cfg);
  caf::actor_system sys{cfg};
  auto m = load_model("dummy:stories260k");
  ASSERT_TRUE(m.ok());
  std::shared_ptr<backend> b = make_null_backend(std::make_shared<const model>(std::move(*m)), {}).value();
  auto r = std::make_shared<reports>();
  auto idle = r->idle.get_future();
  auto sink = sys.spawn(stand_in, r);

  executor_params p;
  p.step_delay_ms = 2;       // 100 steps: 0.2 s at least
  p.progress_every_ms = 50;  // so 3 reports at least, and far fewer than the steps
  auto ex = spawn_executor_actor(sys, p, b, caf::actor_cast<scheduler_actor>(sink), caf::actor_cast<intake_actor>(sink),
                                 caf::actor_cast<stats_actor>(sink));
  batch bt;
  bt.cap = 100;
  job j;  // the null backend never samples a stop token: it runs 100 steps
  j.id = 1;
  j.gen.prompt_ids = {1};
  j.gen.max_new_tokens = 100;
  bt.jobs = {j, j};
  bt.jobs[1].id = 2;
  const auto began = std::chrono::steady_clock::now();
  caf::anon_send(ex, run_atom::value, bt);
  ASSERT_EQ(idle.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  const double elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count();
  EXPECT_EQ(idle.get(), 200);  // 100 steps of 2 slots
  {
    std::lock_guard lock(r->mu);
    EXPECT_GE(r->progress.size(), 2u) << "a batch that steps reports its progress";
    EXPECT_LE(static_cast<double>(r->progress.size()), elapsed_ms / 50 + 1) << "at most one per interval";
    for (size_t i = 1; i < r->progress.size(); ++i) EXPECT_GT(r->progress[i], r->progress[i - 1]);
    if (!r->progress.empty()) {
      EXPECT_LT(r->progress.back(), 200);
    }
  }
  caf::anon_send_exit(ex, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
}

}  // namespace
}  // namespace binserve
