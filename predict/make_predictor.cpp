#include "predict/make_predictor.hpp"

#include "config/config_rules.hpp"
#include "predict/baseline_predictors.hpp"
#include "predict/embedding_predictor.hpp"
#include "predict/history_predictor.hpp"
#include "predict/learned_predictor.hpp"
#include "predict/length_hint.hpp"

namespace binserve {

namespace {

using predictor_ptr = std::unique_ptr<length_predictor>;

status invalid(const std::string& message) { return status(error_code::config_invalid, message); }

// Options of the quantile head of `learned` and `embedding`.
quantile_regressor_options head_options(const predictor_config& c) {
  quantile_regressor_options o;
  o.quantile = c.quantile;
  return o;
}

status_or<predictor_ptr> make_learned(const predictor_config& c) {
  if (c.model_file.empty()) return predictor_ptr(new learned_predictor(head_options(c), c.online));
  auto loaded = learned_predictor::load(c.model_file, c.online);
  if (!loaded.ok()) return loaded.error();
  return predictor_ptr(std::move(*loaded));
}

status_or<predictor_ptr> make_embedding(const predictor_config& c, std::shared_ptr<const model> served,
                                        const backend_options& backend) {
  if (!served) return invalid("predictor.kind 'embedding' needs the served model");
  auto b = make_backend(std::move(served), backend);
  if (!b.ok()) return b.error();
  if (c.model_file.empty()) return predictor_ptr(new embedding_predictor(std::move(*b), head_options(c), c.online));
  auto loaded = embedding_predictor::load(c.model_file, std::move(*b), c.online);
  if (!loaded.ok()) return loaded.error();
  return predictor_ptr(std::move(*loaded));
}

// The predictor `kind` names; `field` ("predictor.kind" or
// "predictor.fallback") is where that kind came from, for messages.
status_or<predictor_ptr> make_kind(const std::string& kind, const std::string& field, const predictor_config& c,
                                   std::shared_ptr<const model> served, const backend_options& backend);

status_or<predictor_ptr> make_history(const predictor_config& c, std::shared_ptr<const model> served,
                                      const backend_options& backend) {
  auto fallback = make_kind(c.fallback, "predictor.fallback", c, std::move(served), backend);
  if (!fallback.ok()) return fallback.error();
  return predictor_ptr(new history_predictor(std::move(*fallback), size_t(c.history_capacity)));
}

status_or<predictor_ptr> make_kind(const std::string& kind, const std::string& field, const predictor_config& c,
                                   std::shared_ptr<const model> served, const backend_options& backend) {
  if (kind == "oracle") return predictor_ptr(new oracle_predictor(c.fixed_length));
  if (kind == "fixed") return predictor_ptr(new fixed_predictor(c.fixed_length));
  if (kind == "prompt-ratio") return predictor_ptr(new prompt_ratio_predictor(c.ratio));
  if (kind == "learned") return make_learned(c);
  if (kind == "history") return make_history(c, std::move(served), backend);
  if (kind == "embedding") return make_embedding(c, std::move(served), backend);
  return status(error_code::internal, field + " '" + kind + "' passed config_rules but has no maker");
}

}  // namespace

status_or<predictor_ptr> make_predictor(const predictor_config& c, std::shared_ptr<const model> served,
                                        const backend_options& backend) {
  if (status s = check_rules(c); !s.ok()) return s;
  auto made = make_kind(c.kind, "predictor.kind", c, std::move(served), backend);
  if (!made.ok()) return made.error();
  return predictor_ptr(new hinted_predictor(std::move(*made), c.hint_weight));
}

bool uses_embedding(const predictor_config& config) {
  return config.kind == "embedding" || (config.kind == "history" && config.fallback == "embedding");
}

}  // namespace binserve
