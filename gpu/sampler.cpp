#include "gpu/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace binserve {

int argmax(std::span<const float> logits) {
  return static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

float sample_uniform(std::uint64_t seed, std::uint64_t step) {
  // splitmix64 of (seed, step): counter-based, so any step is drawn alone.
  std::uint64_t x = seed * 0x9e3779b97f4a7c15ull + step + 0x632be59bd9b4e019ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  x ^= x >> 31;
  return static_cast<float>(x >> 40) * (1.0f / 16777216.0f);
}

namespace {

struct candidate {
  float prob;
  int id;
};

// probs (vocab) = softmax(logits / temperature)
std::vector<float> softmax(std::span<const float> logits, float temperature) {
  const float max = *std::max_element(logits.begin(), logits.end());
  std::vector<float> p(logits.size());
  double sum = 0.0;
  for (size_t i = 0; i < p.size(); ++i) {
    p[i] = std::exp((logits[i] - max) / temperature);
    sum += p[i];
  }
  for (float& x : p) x = static_cast<float>(x / sum);
  return p;
}

// Draws from the smallest set of most probable tokens whose mass reaches top_p.
int sample_nucleus(const std::vector<float>& probs, float top_p, float u) {
  // Tokens below (1 - top_p) / (n - 1) can never be in the nucleus (llama2.c).
  const float cutoff = (1.0f - top_p) / static_cast<float>(std::max<size_t>(1, probs.size() - 1));
  std::vector<candidate> c;
  for (size_t i = 0; i < probs.size(); ++i)
    if (probs[i] >= cutoff) c.push_back({probs[i], static_cast<int>(i)});
  std::sort(c.begin(), c.end(), [](const candidate& a, const candidate& b) {
    return a.prob > b.prob || (a.prob == b.prob && a.id < b.id);
  });
  float mass = 0.0f;
  size_t last = c.size() - 1;
  for (size_t i = 0; i < c.size(); ++i) {
    mass += c[i].prob;
    if (mass > top_p) {
      last = i;
      break;
    }
  }
  float r = u * mass, cdf = 0.0f;
  for (size_t i = 0; i <= last; ++i) {
    cdf += c[i].prob;
    if (r < cdf) return c[i].id;
  }
  return c[last].id;  // rounding
}

int sample_multinomial(const std::vector<float>& probs, float u) {
  float cdf = 0.0f;
  for (size_t i = 0; i < probs.size(); ++i) {
    cdf += probs[i];
    if (u < cdf) return static_cast<int>(i);
  }
  return static_cast<int>(probs.size()) - 1;  // rounding
}

}  // namespace

int sample_token(std::span<const float> logits, const sampling_params& params, std::uint64_t step) {
  if (params.temperature <= 0.0f) return argmax(logits);
  const std::vector<float> probs = softmax(logits, params.temperature);
  const float u = sample_uniform(params.seed, step);
  if (params.top_p < 1.0f) return sample_nucleus(probs, params.top_p, u);
  return sample_multinomial(probs, u);
}

}  // namespace binserve
