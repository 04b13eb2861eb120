#include "gpu/backend_plugin.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

namespace binserve {

namespace {

// $BINSERVE_CUDA_LIBRARY, else kCudaPluginFile in the directory of /proc/self/exe.
std::string cuda_plugin_path() {
  if (const char* env = std::getenv("BINSERVE_CUDA_LIBRARY"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return kCudaPluginFile;  // then dlopen searches the library path
  return (exe.parent_path() / kCudaPluginFile).string();
}

status_or<backend_factory> open_cuda_plugin() {
  const std::string path = cuda_plugin_path();
  std::error_code ec;
  if (path.find('/') != std::string::npos && !std::filesystem::exists(path, ec))
    return status(error_code::invalid_argument, "backend 'cuda' is not in this build of binserve: " + path +
                                                    " is absent (built without nvcc, or with -DBINSERVE_WITH_CUDA=OFF; "
                                                    "BINSERVE_CUDA_LIBRARY may name the plugin)");
  // RTLD_NOW: an unresolved symbol fails here, with its name, not mid-forward.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr)
    return status(error_code::invalid_argument, "backend 'cuda': cannot load " + path + ": " + dlerror());
  void* symbol = dlsym(handle, kBackendFactorySymbol);
  if (symbol == nullptr)
    return status(error_code::invalid_argument, "backend 'cuda': " + path + " has no " + kBackendFactorySymbol);
  return reinterpret_cast<backend_factory>(symbol);  // the handle stays open for good
}

}  // namespace

status_or<backend_factory> load_cuda_plugin() {
  static std::once_flag once;
  static status_or<backend_factory> factory = status(error_code::internal, "not loaded");
  std::call_once(once, [] { factory = open_cuda_plugin(); });
  return factory;
}

}  // namespace binserve
