// stories260K as the network feature tests use it (http_*_test.cpp,
// tcp_features_test.cpp): where it is, the service that serves it, prompts
// whose greedy text is known to behave a certain way, and the stop-string
// cut the answers are checked against.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "binserve/config.hpp"
#include "tests/direct_greedy.hpp"
#include "tests/test_paths.hpp"

namespace binserve::testing {

inline constexpr const char* kStoriesModel = "models/stories260K.bin";

// A prompt whose greedy continuation is "rest of the day." and then the
// model's stop token, 6 tokens in (found by a search of sampled stories;
// the ignore_eos tests check it against the direct greedy reference).
inline constexpr const char* kEarlyStopPrompt =
    "Timmy became very scared, but he knew that his most important thing was my big birthdays wearing his "
    "marker with the beautiful red car as a wore the monkey. Timmy was proud of himself for listening to the "
    "end of the ";

// A service on stories260K that batches little and waits 2 ms for a batch.
inline service_config stories_service_config() {
  service_config c;
  c.model = shared_path(kStoriesModel);
  c.policy.batch_size = 4;
  c.policy.max_wait = std::chrono::milliseconds(2);
  c.predictor.kind = "fixed";
  return c;
}

// The greedy token ids (stop token excluded) and text of `prompt` alone,
// `max_tokens` at most, computed directly on a CPU backend (no service).
inline std::vector<int> greedy_ids(const std::string& prompt, int max_tokens) {
  const auto ids = direct_greedy(shared_path(kStoriesModel), {prompt}, max_tokens);
  return ids.empty() ? std::vector<int>{} : ids.front();
}
inline std::string greedy_text(const std::string& prompt, int max_tokens) {
  const auto texts = direct_greedy_texts(shared_path(kStoriesModel), {prompt}, max_tokens);
  return texts.empty() ? "" : texts.front();
}

// A stop string taken from the middle of `text` (8 bytes: several tokens of
// this model, so a stream must hold its first ones back), and `text` cut
// before its first occurrence: what an answer with that stop string is.
struct stop_cut {
  std::string stop, before;
};
inline stop_cut middle_stop(const std::string& text) {
  const std::string stop = text.substr(text.size() / 2, 8);
  return {stop, text.substr(0, text.find(stop))};
}

}  // namespace binserve::testing
