// Weight preparation on the device: fp32 -> T conversion of uploaded
// tensors, and dummy weights generated in place (no host copy).
//   convert:    dst[j] = T(src[j])
//   fill_dummy: dst[j] = T(dummy_weight_value(seed, tensor, j, scale))  (gpu/dummy_weight.hpp,
//               bit-identical to the host's fp32 values)
//   fill_f32:   dst[j] = value
// grid-stride loops: grid min(ceil(count / 256), 65535 * 16), block 256, thread
// handles j = tid + k * grid * 256.
#include "gpu/cuda/check.hpp"
#include "gpu/cuda/kernels/element.cuh"
#include "gpu/cuda/kernels/kernels.hpp"
#include "gpu/dummy_weight.hpp"

namespace binserve::cuda {

namespace {

constexpr int kThreads = 256;

unsigned grid_for(std::int64_t count) {
  const unsigned blocks = ceil_div(count, kThreads);
  return blocks < 65535u * 16u ? blocks : 65535u * 16u;
}

template <class T>
__global__ void convert_kernel(T* dst, const float* src, std::int64_t count) {
  for (std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < count;
       j += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    dst[j] = from_float<T>(src[j]);
}

template <class T>
__global__ void fill_dummy_kernel(T* dst, std::int64_t count, dummy_params p) {
  for (std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < count;
       j += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    dst[j] = from_float<T>(dummy_weight_value(p.seed, p.tensor, static_cast<std::uint64_t>(j), p.scale));
}

__global__ void fill_f32_kernel(float* dst, std::int64_t count, float value) {
  for (std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < count;
       j += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    dst[j] = value;
}

}  // namespace

status convert_from_f32(void* dst, const float* src, std::int64_t count, data_type t, cudaStream_t stream) {
  if (count == 0) return status::ok_status();
  dispatch_dtype(t, [&](auto tag) {
    using T = decltype(tag);
    convert_kernel<T><<<grid_for(count), kThreads, 0, stream>>>(static_cast<T*>(dst), src, count);
  });
  return check_launch("convert_kernel");
}

status fill_dummy(void* dst, std::int64_t count, const dummy_params& p, data_type t, cudaStream_t stream) {
  if (count == 0) return status::ok_status();
  dispatch_dtype(t, [&](auto tag) {
    using T = decltype(tag);
    fill_dummy_kernel<T><<<grid_for(count), kThreads, 0, stream>>>(static_cast<T*>(dst), count, p);
  });
  return check_launch("fill_dummy_kernel");
}

status fill_f32(float* dst, std::int64_t count, float value, cudaStream_t stream) {
  if (count == 0) return status::ok_status();
  fill_f32_kernel<<<grid_for(count), kThreads, 0, stream>>>(dst, count, value);
  return check_launch("fill_f32_kernel");
}

}  // namespace binserve::cuda
