// The factory behind `predictor:` in a deployment: builds the length
// predictor a predictor_config names.
#pragma once

#include <memory>

#include "binserve/config.hpp"
#include "binserve/status.hpp"
#include "gpu/backend.hpp"
#include "gpu/model.hpp"
#include "predict/length_predictor.hpp"

namespace binserve {

// The predictor `config.kind` names: oracle, fixed, prompt-ratio, learned
// (config.model_file loaded when set, else untrained), history (in front of
// the `config.fallback` kind) or embedding (a backend of its own for
// `served`, made with `backend`), behind a hinted_predictor that applies
// requests' length hints with config.hint_weight. A loaded model keeps the
// quantile it was trained for. Errors: config_invalid naming the
// predictor.<field> at fault: a rule of config/config_rules.hpp (each field
// checked whatever the kind: unknown kind or fallback, a history fallback,
// non-positive length, ratio, capacity or refresh, quantile outside (0, 1),
// hint_weight outside [0, 1]), or embedding without a served model;
// io_error / model_invalid from the model file; the errors of make_backend.
status_or<std::unique_ptr<length_predictor>> make_predictor(const predictor_config& config,
                                                            std::shared_ptr<const model> served,
                                                            const backend_options& backend);

// Whether make_predictor gives `config` a backend of its own (embedding, or
// history falling back to embedding): model weights and a KV cache beside
// the executors'.
bool uses_embedding(const predictor_config& config);

}  // namespace binserve
