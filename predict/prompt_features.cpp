#include "predict/prompt_features.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <string>

namespace binserve {

namespace {

constexpr std::uint64_t fnv_offset = 14695981039346656037ull;
constexpr std::uint64_t fnv_prime = 1099511628211ull;
constexpr int length_bucket_begin = 2;

std::uint64_t fnv1a(std::uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= fnv_prime;
  }
  return h;
}

std::uint64_t fnv1a(std::uint64_t h, int id) {
  for (int i = 0; i < 4; ++i) {
    h ^= (std::uint32_t(id) >> (8 * i)) & 0xff;
    h *= fnv_prime;
  }
  return h;
}

// Distinct seeds keep a word, a bigram and a trigram with the same bytes
// from sharing a slot by construction.
const std::uint64_t unigram_seed = fnv1a(fnv_offset, "w1:");
const std::uint64_t bigram_seed = fnv1a(fnv_offset, "w2:");
const std::uint64_t trigram_seed = fnv1a(fnv_offset, "c3:");
const std::uint64_t id_seed = fnv1a(fnv_offset, "id:");

// ASCII-only lower-casing and classes: the same bytes on every machine and
// locale. UTF-8 bytes (>= 0x80) count as word characters.
char lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }
bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool is_word(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || static_cast<unsigned char>(c) >= 0x80;
}

// Lower-cased, whitespace runs collapsed to one space, padded with a space
// at both ends so trigrams see word boundaries.
std::string normalise(std::string_view text) {
  std::string out = " ";
  out.reserve(text.size() + 2);
  for (char c : text) {
    if (!is_space(c))
      out += lower(c);
    else if (out.back() != ' ')
      out += ' ';
  }
  if (out.back() != ' ') out += ' ';
  return out;
}

std::vector<std::string_view> words_of(std::string_view norm) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < norm.size()) {
    while (i < norm.size() && !is_word(norm[i])) ++i;
    const std::size_t begin = i;
    while (i < norm.size() && is_word(norm[i])) ++i;
    if (i > begin) words.push_back(norm.substr(begin, i - begin));
  }
  return words;
}

// Hashes of the word unigrams and bigrams, or of the token ids when the
// text has no words.
std::vector<std::uint64_t> word_hashes(std::string_view norm, std::span<const int> ids) {
  std::vector<std::uint64_t> h;
  const std::vector<std::string_view> words = words_of(norm);
  for (std::size_t i = 0; i < words.size(); ++i) {
    h.push_back(fnv1a(unigram_seed, words[i]));
    if (i > 0) h.push_back(fnv1a(fnv1a(fnv1a(bigram_seed, words[i - 1]), " "), words[i]));
  }
  if (!words.empty()) return h;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    h.push_back(fnv1a(id_seed, ids[i]));
    if (i > 0) h.push_back(fnv1a(fnv1a(bigram_seed, ids[i - 1]), ids[i]));
  }
  return h;
}

std::vector<std::uint64_t> trigram_hashes(std::string_view norm) {
  std::vector<std::uint64_t> h;
  if (norm.size() < 3) return h;
  h.reserve(norm.size() - 2);
  for (std::size_t i = 0; i + 3 <= norm.size(); ++i) h.push_back(fnv1a(trigram_seed, norm.substr(i, 3)));
  return h;
}

// Appends one group: each hashed slot weighted by its count, scaled to unit
// L2 norm so long prompts do not swamp the fixed features.
void append_group(const std::vector<std::uint64_t>& hashes, int n_features, std::vector<sparse_feature>& out) {
  if (hashes.empty()) return;
  const std::uint64_t slots = std::uint64_t(n_features - prompt_feature_hashed_begin);
  std::vector<std::uint32_t> index(hashes.size());
  for (std::size_t i = 0; i < hashes.size(); ++i)
    index[i] = std::uint32_t(prompt_feature_hashed_begin + (hashes[i] ^ hashes[i] >> 32) % slots);
  std::sort(index.begin(), index.end());
  const std::size_t first = out.size();
  double sum_sq = 0;
  for (std::size_t i = 0; i < index.size();) {
    std::size_t j = i;
    while (j < index.size() && index[j] == index[i]) ++j;
    out.push_back({index[i], float(j - i)});
    sum_sq += double(j - i) * double(j - i);
    i = j;
  }
  const float scale = float(1 / std::sqrt(sum_sq));
  for (std::size_t i = first; i < out.size(); ++i) out[i].value *= scale;
}

}  // namespace

std::vector<sparse_feature> prompt_features(std::string_view text, std::span<const int> ids, int n_features) {
  const std::string norm = normalise(text);
  const std::vector<std::uint64_t> words = word_hashes(norm, ids);
  const std::vector<std::uint64_t> trigrams = trigram_hashes(norm);
  std::vector<sparse_feature> out;
  out.reserve(3 + words.size() + trigrams.size());
  const int bucket_count = prompt_feature_hashed_begin - length_bucket_begin;
  const int bucket = std::min<int>(std::bit_width(ids.size()), bucket_count - 1);
  out.push_back({0, 1.0f});
  out.push_back({1, float(std::log1p(double(ids.size())))});
  out.push_back({std::uint32_t(length_bucket_begin + bucket), 1.0f});
  append_group(words, n_features, out);
  append_group(trigrams, n_features, out);
  return out;
}

}  // namespace binserve
