// Fair share across clients, through the embedding API: batches are formed
// when an executor can run them and pick round-robin across clients
// (request::client), so a light client's request is not queued behind a
// flooding client's requests that arrived first.
#include <algorithm>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "actors/trace_replay.hpp"
#include "binserve/service.hpp"
#include "tests/flooded_service.hpp"

namespace binserve {
namespace {

request of_client(const std::string& client) {
  request r;
  r.prompt = "Once upon a time";
  r.max_new_tokens = 8;
  r.client = client;
  return r;
}

// Submits `flood` requests of client "flood", then one of client "light";
// returns how many flood requests finished before the light one.
int flood_finished_before_light(service& svc, int flood) {
  std::mutex mu;
  std::vector<std::string> order;  // clients, in the order their requests finished
  std::vector<std::future<void>> all;
  auto submit = [&](const std::string& client) {
    auto done = std::make_shared<std::promise<void>>();
    all.push_back(done->get_future());
    submit_replay(svc, of_client(client), {.target_length = 8}, {}, [&, client, done](request_id, status_or<result> r) {
      EXPECT_TRUE(r.ok()) << r.error().to_string();
      {  // unlock before set_value: the last one lets the caller return and destroy `mu`
        std::lock_guard lock(mu);
        order.push_back(client);
      }
      done->set_value();
    });
  };
  for (int i = 0; i < flood; ++i) submit("flood");
  submit("light");
  for (auto& f : all) f.wait();
  const auto light = std::find(order.begin(), order.end(), "light");
  EXPECT_NE(light, order.end());
  return static_cast<int>(light - order.begin());
}

// First-come-first-served batching would run the light request after all 40
// flood requests (ten full batches); round-robin takes put it in the batch
// after the one running when it arrived.
TEST(Fairness, ALightClientsLateRequestJoinsTheNextBatchOfAFloodedBin) {
  auto svc = start_service(testing::flooded_service_config("vanilla"));
  ASSERT_TRUE(svc.ok()) << svc.error().to_string();
  EXPECT_LE(flood_finished_before_light(**svc, 40), 8);
}

// Continuous admission takes turns across clients the same way: the light
// request is admitted at the first free slot, not after the flood's backlog.
TEST(Fairness, ContinuousAdmissionTakesTurnsAcrossClients) {
  auto svc = start_service(testing::flooded_service_config("continuous"));
  ASSERT_TRUE(svc.ok()) << svc.error().to_string();
  EXPECT_LE(flood_finished_before_light(**svc, 40), 8);
}

}  // namespace
}  // namespace binserve
