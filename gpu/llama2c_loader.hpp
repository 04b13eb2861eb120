// Loads a llama2.c "legacy" checkpoint (Karpathy's run.c format): a header of
// 7 little-endian int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads,
// vocab_size, seq_len; a negative vocab_size means a separate classifier),
// then fp32 tensors in checkpoint order (see host_weights.hpp), with the
// precomputed RoPE tables freq_cis_real/imag before the classifier.
#pragma once

#include <string>

#include "binserve/status.hpp"
#include "gpu/model.hpp"

namespace binserve {

// Fills `out.config` and `out.weights` from the checkpoint at `path`.
// Errors: io_error; model_invalid (header sizes out of range, file size not
// what the header implies, a llama2.c version-1/2 export, a GGUF file).
status load_llama2c_weights(const std::string& path, model& out);

}  // namespace binserve
