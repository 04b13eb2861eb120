// backend::layer_states: the residual stream after the chosen layers at each
// chunk's last token. After the last layer, RMSNorm with the final weights
// must give backend::hidden (computed by the forward's own final norm); a
// sequence's states do not depend on the batch it runs in.
#include <cmath>

#include <gtest/gtest.h>

#include "gpu/backend.hpp"
#include "gpu/host_weights.hpp"

namespace binserve {
namespace {

std::shared_ptr<const model> dummy(const char* preset) {
  auto m = load_model(preset);
  EXPECT_TRUE(m.ok()) << m.error().to_string();
  return std::make_shared<const model>(std::move(*m));
}

std::unique_ptr<backend> cpu(std::shared_ptr<const model> m, std::vector<int> layers) {
  backend_options o;
  o.threads = 1;
  o.kv_cache_bytes = 8 << 20;
  o.state_layers = std::move(layers);
  auto b = make_backend(std::move(m), o);
  EXPECT_TRUE(b.ok()) << b.error().to_string();
  return std::move(*b);
}

TEST(LayerStates, TheLastLayersStreamNormedIsTheHiddenState) {
  auto m = dummy("dummy:stories260k");
  const int L = m->config.n_layers, dim = m->config.dim;
  auto b = cpu(m, {1, L});
  auto w = host_weights(m->config);
  fill_dummy_weights(m->config, m->dummy_seed, w);
  const std::vector<int> a = {1, 300, 301, 302}, c = {1, 400};
  const int s0 = *b->open_sequence(16), s1 = *b->open_sequence(16);
  const std::vector<sequence_chunk> chunks = {{s0, a}, {s1, c}};
  ASSERT_TRUE(b->forward(chunks).ok());
  for (int i = 0; i < 2; ++i) {
    const auto states = b->layer_states(i);
    ASSERT_EQ(states.size(), std::size_t(2 * dim));
    const float* last = states.data() + dim;  // after layer L
    double ss = 0;
    for (int j = 0; j < dim; ++j) ss += double(last[j]) * last[j];
    const double scale = 1.0 / std::sqrt(ss / dim + m->config.norm_eps);
    const auto hidden = b->hidden(i);
    for (int j = 0; j < dim; ++j)
      EXPECT_NEAR(w.rms_final[j] * scale * last[j], hidden[j], 1e-4 * (1 + std::abs(hidden[j]))) << i << " " << j;
    // after layer 1 is a different stream than after layer L
    double diff = 0;
    for (int j = 0; j < dim; ++j) diff += std::abs(states[j] - last[j]);
    EXPECT_GT(diff, 1e-3);
  }
}

TEST(LayerStates, ASequencesStatesDoNotDependOnItsBatch) {
  auto m = dummy("dummy:stories260k");
  auto together = cpu(m, {2, 4}), alone = cpu(m, {2, 4});
  const std::vector<int> a = {1, 300, 301}, c = {1, 400, 401, 402, 403};
  const int t0 = *together->open_sequence(16), t1 = *together->open_sequence(16);
  const std::vector<sequence_chunk> both = {{t0, a}, {t1, c}};
  ASSERT_TRUE(together->forward(both).ok());
  const int s = *alone->open_sequence(16);
  const std::vector<sequence_chunk> one = {{s, c}};
  ASSERT_TRUE(alone->forward(one).ok());
  const auto x = together->layer_states(1), y = alone->layer_states(0);
  ASSERT_EQ(x.size(), y.size());
  for (std::size_t j = 0; j < x.size(); ++j) EXPECT_NEAR(x[j], y[j], 1e-4 * (1 + std::abs(y[j]))) << j;
}

TEST(LayerStates, NoneAskedForIsEmptyAndALayerOutsideTheModelIsRefused) {
  auto m = dummy("dummy:stories260k");
  auto b = cpu(m, {});
  const int s = *b->open_sequence(8);
  const std::vector<int> a = {1, 300};
  const std::vector<sequence_chunk> one = {{s, a}};
  ASSERT_TRUE(b->forward(one).ok());
  EXPECT_TRUE(b->layer_states(0).empty());
  for (int bad : {0, m->config.n_layers + 1}) {
    backend_options o;
    o.state_layers = {bad};
    auto r = make_backend(m, o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), error_code::invalid_argument);
    EXPECT_NE(r.error().message().find("state layer"), std::string::npos) << r.error().message();
  }
}

TEST(LayerStates, TheNullBackendGivesZerosOfTheAskedWidth) {
  auto m = dummy("dummy:stories260k");
  backend_options o;
  o.kind = backend_kind::null;
  o.state_layers = {1, 2, 3};
  auto b = make_backend(m, o);
  ASSERT_TRUE(b.ok());
  const int s = *(*b)->open_sequence(8);
  const std::vector<int> a = {1, 300};
  const std::vector<sequence_chunk> one = {{s, a}};
  ASSERT_TRUE((*b)->forward(one).ok());
  const auto states = (*b)->layer_states(0);
  EXPECT_EQ(states.size(), std::size_t(3 * m->config.dim));
  for (float v : states) EXPECT_EQ(v, 0.0f);
}

}  // namespace
}  // namespace binserve
