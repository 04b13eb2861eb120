// `binserve quantize`: a model written as a GGUF file with its weight
// matrices in a tensor type (gpu/quantize.hpp). From a GGUF file everything
// else is kept as it is.
//
// Every 2-D tensor whose rows are whole blocks of the type is converted
// (read through dequantize, so any readable type is a source); norms and
// other 1-D tensors are copied as they are. The metadata is copied, with
// general.file_type set to llama.cpp's number for the type (llama.cpp's
// presets differ in one way: they keep the classifier, output.weight, in a
// higher type). The output streams tensor by tensor: memory is one tensor.
#pragma once

#include <string>

#include "binserve/status.hpp"
#include "gpu/model.hpp"
#include "gpu/tensor_types.hpp"

namespace binserve::gguf {

// Errors: what opening `in` gives (io_error, model_invalid); io_error when
// `out` cannot be written.
status quantize_gguf(const std::string& in, const std::string& out, tensor_type type);

// A loaded model with host weights (a llama2.c checkpoint, or a dummy one
// filled by the caller) written as a GGUF, its matrices in `type`, norms in
// F32. Errors: io_error when `out` cannot be written.
status quantize_model(const model& m, const std::string& out, tensor_type type);

}  // namespace binserve::gguf
