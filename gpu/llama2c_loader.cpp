#include "gpu/llama2c_loader.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>

namespace binserve {

namespace {

status invalid(const std::string& path, const std::string& what) {
  return status(error_code::model_invalid, path + ": " + what);
}

// Bytes the checkpoint of `c` must have: header, weights, RoPE tables.
std::int64_t expected_size(const model_config& c) {
  const std::int64_t rope_tables = std::int64_t(c.n_ctx) * c.head_dim();  // real + imag halves
  return 7 * 4 + (c.n_params() + rope_tables) * 4;
}

status read_header(std::ifstream& in, const std::string& path, model_config& c) {
  std::int32_t h[7];
  if (!in.read(reinterpret_cast<char*>(h), sizeof h))
    return invalid(path, "truncated: shorter than the 28-byte llama2.c header");
  if (std::memcmp(h, "ak42", 4) == 0)
    return invalid(path, "a llama2.c version-1/2 export; only the legacy format is supported");
  if (std::memcmp(h, "GGUF", 4) == 0) return invalid(path, "a GGUF file read as llama2.c");
  for (int v : h)
    if (v == 0 || v > (1 << 24) || v < -(1 << 24))
      return invalid(path, "not a llama2.c checkpoint: header field " + std::to_string(v) + " out of range");
  c.dim = h[0];
  c.hidden_dim = h[1];
  c.n_layers = h[2];
  c.n_heads = h[3];
  c.n_kv_heads = h[4];
  c.shared_classifier = h[5] > 0;
  c.vocab_size = h[5] > 0 ? h[5] : -h[5];
  c.n_ctx = h[6];
  if (status s = c.validate(); !s.ok()) return invalid(path, s.message());
  return status::ok_status();
}

}  // namespace

status load_llama2c_weights(const std::string& path, model& out) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return status(error_code::io_error, path + ": cannot open: " + std::strerror(errno));
  const std::int64_t file_size = in.tellg();
  in.seekg(0);
  model_config c;
  if (status s = read_header(in, path, c); !s.ok()) return s;
  if (file_size != expected_size(c))
    return invalid(path, "file has " + std::to_string(file_size) +
                             " bytes but its header (dim=" + std::to_string(c.dim) +
                             ", n_layers=" + std::to_string(c.n_layers) + ", vocab=" + std::to_string(c.vocab_size) +
                             ") implies " + std::to_string(expected_size(c)));

  auto w = std::make_unique<host_weights>(c);
  // Everything before the classifier is contiguous in both layouts; the RoPE
  // tables (recomputed by the backends) sit between rms_final and wcls.
  const std::int64_t before_cls = w->rms_final + c.dim - w->storage.data();
  in.read(reinterpret_cast<char*>(w->storage.data()), before_cls * 4);
  if (!c.shared_classifier) {
    in.seekg(std::int64_t(c.n_ctx) * c.head_dim() * 4, std::ios::cur);
    in.read(reinterpret_cast<char*>(w->values(w->wcls)), std::int64_t(c.vocab_size) * c.dim * 4);
  }
  if (!in) return status(error_code::io_error, path + ": read failed");
  out.config = c;
  out.weights = std::move(w);
  return status::ok_status();
}

}  // namespace binserve
