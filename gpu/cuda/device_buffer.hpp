// One cudaMalloc'd allocation, freed when the handle dies.
//
// Owned by the CUDA backend (or its device_weights); used by the thread that
// drives the backend, with that backend's device current.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <string>
#include <utility>

#include "binserve/status.hpp"

namespace binserve::cuda {

class device_buffer {
 public:
  device_buffer() = default;
  ~device_buffer() { reset(); }
  device_buffer(const device_buffer&) = delete;
  device_buffer& operator=(const device_buffer&) = delete;
  device_buffer(device_buffer&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  device_buffer& operator=(device_buffer&& o) noexcept {
    if (this != &o) {
      reset();
      ptr_ = std::exchange(o.ptr_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }

  // Replaces the allocation with `bytes` new (uninitialised) bytes. Errors:
  // out_of_memory "`what`: cannot allocate N MiB (F MiB free of T MiB)",
  // backend_failure for any other CUDA error. On error the handle is empty.
  status allocate(std::int64_t bytes, const std::string& what) {
    reset();
    if (bytes <= 0) return status::ok_status();
    const cudaError_t e = cudaMalloc(&ptr_, static_cast<size_t>(bytes));
    if (e == cudaSuccess) {
      bytes_ = bytes;
      return status::ok_status();
    }
    ptr_ = nullptr;
    (void)cudaGetLastError();  // clear the (non-sticky) allocation error
    size_t free_b = 0, total_b = 0;
    (void)cudaMemGetInfo(&free_b, &total_b);
    return status(e == cudaErrorMemoryAllocation ? error_code::out_of_memory : error_code::backend_failure,
                  what + ": cannot allocate " + std::to_string(bytes >> 20) + " MiB on the GPU (" +
                      std::to_string(free_b >> 20) + " MiB free of " + std::to_string(total_b >> 20) +
                      " MiB): " + cudaGetErrorString(e));
  }

  void reset() {
    if (ptr_ != nullptr) (void)cudaFree(ptr_);
    ptr_ = nullptr;
    bytes_ = 0;
  }

  template <class T = void>
  T* get() const {
    return static_cast<T*>(ptr_);
  }
  std::int64_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  std::int64_t bytes_ = 0;
};

}  // namespace binserve::cuda
