// A scratch file per fuzzing process, for the loaders that read from a path
// (model, tokenizer): each input is written to it before being loaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include <unistd.h>

namespace binserve::fuzz {

// "/tmp/binserve_fuzz_<name>_<pid>"; the file is rewritten by each write_input.
inline const std::string& scratch_path(const char* name) {
  static const std::string path = "/tmp/binserve_fuzz_" + std::string(name) + "_" + std::to_string(::getpid());
  return path;
}

// Writes `data` to `path`; false when it cannot (the input is then skipped).
inline bool write_input(const std::string& path, const std::uint8_t* data, std::size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(data, 1, size, f) == size;
  return std::fclose(f) == 0 && ok;
}

}  // namespace binserve::fuzz
