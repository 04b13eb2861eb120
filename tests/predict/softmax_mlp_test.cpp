// softmax_mlp: its gradients against finite differences of the loss, that
// it learns a problem a linear model cannot (XOR), and its JSON round trip.
#include "predict/softmax_mlp.hpp"

#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace binserve {
namespace {

// The cross-entropy of row x with label y.
double loss(const softmax_mlp& m, std::span<const float> x, int y) {
  std::vector<float> p(m.classes());
  m.probabilities(x, p);
  return -std::log(double(p[y]));
}

// XOR of the signs of two inputs, with noise inputs beside them.
void xor_data(int n, std::vector<float>& x, std::vector<int>& y, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int i = 0; i < n; ++i) {
    const float a = u(rng), b = u(rng);
    x.insert(x.end(), {a, b, u(rng), u(rng)});
    y.push_back((a > 0) != (b > 0));
  }
}

TEST(SoftmaxMlp, ItsGradientIsTheLossesFiniteDifference) {
  // An SGD step of rate lr moves each weight by -lr * its gradient; the
  // central difference of the loss in that weight must agree.
  for (int hidden : {0, 8}) {
    const softmax_mlp m(4, 3, hidden, 7);
    const std::vector<float> x = {0.3f, -0.2f, 0.9f, 0.1f};
    const double lr = 1e-3, eps = 1e-2;
    softmax_mlp stepped = m;
    stepped.step(x, 2, lr);
    const nlohmann::json before = m.to_json(), after = stepped.to_json();
    int checked = 0;
    for (const char* tensor : {"w1", "b1", "w2", "b2"})
      for (std::size_t i = 0; i < before[tensor].size(); ++i) {
        const double analytic = (before[tensor][i].get<double>() - after[tensor][i].get<double>()) / lr;
        auto nudged = [&](double by) {
          nlohmann::json j = before;
          j[tensor][i] = j[tensor][i].get<double>() + by;
          return loss(*softmax_mlp::from_json(j, "test"), x, 2);
        };
        const double numeric = (nudged(eps) - nudged(-eps)) / (2 * eps);
        EXPECT_NEAR(analytic, numeric, 2e-3 + 2e-2 * std::abs(numeric)) << hidden << " " << tensor << "[" << i << "]";
        ++checked;
      }
    EXPECT_EQ(checked, hidden > 0 ? 4 * 8 + 8 + 3 * 8 + 3 : 3 * 4 + 3);
  }
}

TEST(SoftmaxMlp, AHiddenLayerLearnsXorWhereALinearOneCannot) {
  std::vector<float> x, tx;
  std::vector<int> y, ty;
  xor_data(4000, x, y, 1);
  xor_data(1000, tx, ty, 2);
  auto accuracy = [&](int hidden) {
    softmax_mlp m(4, 2, hidden, 3);
    mlp_options o;
    o.hidden = hidden;
    o.learning_rate = 1e-2;
    o.epochs = 30;
    o.batch = 64;
    m.fit(x, y, o, 4);
    int hits = 0;
    std::vector<float> p(2);
    for (std::size_t i = 0; i < ty.size(); ++i) {
      m.probabilities(std::span<const float>(tx).subspan(i * 4, 4), p);
      hits += (p[1] > p[0]) == (ty[i] == 1);
    }
    return double(hits) / ty.size();
  };
  EXPECT_GT(accuracy(32), 0.93);
  EXPECT_LT(accuracy(0), 0.70);
}

TEST(SoftmaxMlp, JsonRoundTripGivesTheSameProbabilitiesAndDamageIsModelInvalid) {
  softmax_mlp m(5, 4, 6, 11);
  auto back = softmax_mlp::from_json(m.to_json(), "here");
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  const std::vector<float> x = {1, -1, 0.5f, 2, 0};
  std::vector<float> p(4), q(4);
  m.probabilities(x, p);
  back->probabilities(x, q);
  EXPECT_EQ(p, q);
  auto j = m.to_json();
  j["w2"].erase(0);
  auto bad = softmax_mlp::from_json(j, "here");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), error_code::model_invalid);
  EXPECT_NE(bad.error().message().find("here"), std::string::npos);
  j = m.to_json();
  j.erase("hidden");
  EXPECT_EQ(softmax_mlp::from_json(j, "here").error().code(), error_code::model_invalid);
  j = m.to_json();  // declared sizes the arrays do not have: refused before anything that large is made
  j["inputs"] = 1 << 20;
  j["classes"] = 4096;
  EXPECT_EQ(softmax_mlp::from_json(j, "here").error().code(), error_code::model_invalid);
}

}  // namespace
}  // namespace binserve
