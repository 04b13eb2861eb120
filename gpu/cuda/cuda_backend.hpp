// The CUDA backend: Llama on one NVIDIA GPU, the same contract as the CPU
// backend (gpu/backend.hpp), in fp32, fp16 or bf16.
//
// It owns its weights (uploaded once, or generated on the device for dummy
// models), a paged KV cache in device memory (the kv_cache bookkeeping; the
// block table uploaded with each forward), one CUDA stream and one cuBLAS
// handle. Every launch goes on that stream; forward() never synchronises:
// logits(i) / hidden(i) copy to the host lazily (then wait for the stream),
// and sample() samples on the device (greedy, and temperature with the host's
// counter-based draw), copying back token ids only; rows with top_p < 1 are
// sampled on the host from logits(i) (on-device top-p is not written yet).
//
// Thread: one thread drives it at a time (the executor actor's); each call
// makes the backend's device current on the calling thread, so it may be
// created on one thread and driven from another.
//
// Errors: a CUDA or cuBLAS failure (in forward, sample, synchronize or a
// logits/hidden copy) is sticky: that call and every later forward and
// sample return the same backend_failure, health() reports it, and
// logits/hidden hold NaNs. The executor exits on it (actors/executor_actor.hpp).
// forward's out_of_memory is the contract's (nothing appended) only before
// the KV cache grows; running out of memory after that is a backend_failure
// (the batch's sequences are lost), not sticky.
#pragma once

#include <memory>

#include "gpu/backend.hpp"

namespace binserve::cuda {

// Creates the backend on options.device. Errors: backend_failure "no CUDA
// device: <CUDA error>" when no GPU is usable; invalid_argument (dtype, device
// ordinal); out_of_memory when weights or the KV cache do not fit (the message
// gives the sizes and the free memory); backend_failure for other CUDA errors.
// KV budget: options.kv_cache_bytes, or when 0 the smaller of 256 full-context
// sequences and 90% of the device memory free after the weights less 1 GiB.
status_or<std::unique_ptr<backend>> make_cuda_backend(std::shared_ptr<const model> m, const backend_options& options);

}  // namespace binserve::cuda
