// Features of a prompt for the `learned` predictor: a bias, the log of the
// prompt's token count, and hashed word unigrams/bigrams and character
// trigrams of the lower-cased text (the hashing trick: no vocabulary to
// keep). Values are normalised so the vector has unit L2 norm per group.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "predict/quantile_regression.hpp"

namespace binserve {

// Indices below this hold the fixed features: 0 the bias (1), 1 log1p of the
// token count, then a one-hot bucket of the count's bit width. Hashed
// features land in [prompt_feature_hashed_begin, n_features).
inline constexpr int prompt_feature_hashed_begin = 16;

// Features of (text, ids) in [0, n_features): the fixed ones, then the word
// group, then the trigram group. Text without words (an id-only request)
// hashes token-id unigrams and bigrams into the word group instead. The hash
// (FNV-1a) is stable across runs and machines: saved models depend on it.
// Precondition: n_features > prompt_feature_hashed_begin.
std::vector<sparse_feature> prompt_features(std::string_view text, std::span<const int> ids, int n_features);

}  // namespace binserve
