// Loads a Llama-architecture GGUF v3 file (llama.cpp's format): shape from
// `ARCH.*` metadata (llama, qwen2; docs/models.md), tokenizer from
// `tokenizer.ggml.*`. The weight matrices stay in the file's memory mapping,
// in its types (host_weights.hpp); norms and biases are widened to fp32.
#pragma once

#include <string>

#include "binserve/status.hpp"
#include "gpu/model.hpp"

namespace binserve {

// Fills every field of `model` except `source` and `stop_tokens`.
// Errors: io_error; model_invalid with the file name and the cause: wrong
// magic, version other than 3, truncated header/metadata/tensor data, a
// general.architecture other than llama or qwen2 (or a feature of it
// binserve does not run, named by its key), missing metadata key, missing
// tensor, tensor with the wrong shape, a tensor type binserve does not read
// (gpu/tensor_types.hpp), counts or strings too large for the file.
status load_gguf(const std::string& path, model& out);

// Only the vocabulary of a GGUF file (tokenizer.ggml.*), checked as load_gguf
// checks it; the tensors are not read. For dummy models of a real
// vocabulary. Errors: as load_gguf's for the container and the vocabulary.
status_or<struct vocab> load_gguf_vocab(const std::string& path);

}  // namespace binserve
