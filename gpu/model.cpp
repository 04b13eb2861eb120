#include "gpu/model.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "gpu/gguf_loader.hpp"
#include "gpu/llama2c_loader.hpp"
#include "gpu/tokenizer.hpp"

namespace binserve {

namespace {

constexpr const char* kDummyPrefix = "dummy:";

// "dummy:PRESET[,ctx=N][,seed=S][,layers=N]" -> config and seed.
status load_dummy(const std::string& spec, model& out) {
  std::string rest = spec.substr(std::strlen(kDummyPrefix));
  std::string preset = rest.substr(0, rest.find(','));
  auto config = model_preset(preset);
  if (!config.ok()) return config.error();
  out.config = *config;
  out.dummy_seed = 1;
  for (size_t at = rest.find(','); at != std::string::npos;) {
    size_t end = rest.find(',', at + 1);
    std::string opt = rest.substr(at + 1, end == std::string::npos ? end : end - at - 1);
    size_t eq = opt.find('=');
    std::string key = opt.substr(0, eq), value = eq == std::string::npos ? "" : opt.substr(eq + 1);
    char* stop = nullptr;
    const long long v = std::strtoll(value.c_str(), &stop, 10);
    if (value.empty() || *stop != '\0' || v <= 0 || (key == "ctx" && v > (1 << 20)) ||
        (key == "layers" && v > 1024))
      return status(error_code::invalid_argument,
                    "'" + spec + "': option '" + opt + "' needs a positive integer");
    if (key == "ctx") out.config.n_ctx = static_cast<int>(v);
    else if (key == "seed") out.dummy_seed = static_cast<std::uint64_t>(v);
    else if (key == "layers") out.config.n_layers = static_cast<int>(v);
    else
      return status(error_code::invalid_argument,
                    "'" + spec + "': unknown option '" + key + "' (known: ctx, seed, layers)");
    at = end;
  }
  out.vocab = make_dummy_vocab(out.config.vocab_size);
  return status::ok_status();
}

// The tokenizer beside a llama2.c checkpoint: tokenizer.bin, else tok<vocab>.bin.
std::string default_tokenizer(const std::string& model_path, int vocab_size) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(model_path).parent_path();
  for (const std::string& name : {std::string("tokenizer.bin"), "tok" + std::to_string(vocab_size) + ".bin"})
    if (fs::exists(dir / name)) return (dir / name).string();
  return (dir / "tokenizer.bin").string();
}

bool has_gguf_magic(const std::string& path) {
  char magic[4] = {};
  std::ifstream in(path, std::ios::binary);
  return in.read(magic, 4) && std::memcmp(magic, "GGUF", 4) == 0;
}

status load_llama2c(const std::string& path, const model_options& options, model& out) {
  if (status s = load_llama2c_weights(path, out); !s.ok()) return s;
  const std::string tok = options.tokenizer_path.empty()
                              ? default_tokenizer(path, out.config.vocab_size)
                              : options.tokenizer_path;
  auto v = load_llama2c_vocab(tok, out.config.vocab_size);
  if (!v.ok()) return v.error();
  out.vocab = std::move(*v);
  return status::ok_status();
}

}  // namespace

status_or<model> load_model(const std::string& spec, const model_options& options) {
  model m;
  m.source = spec;
  status s;
  if (spec.rfind(kDummyPrefix, 0) == 0) s = load_dummy(spec, m);
  else if (!std::filesystem::exists(spec))
    s = status(error_code::io_error, spec + ": no such model file");
  else if (options.format != "auto" && (options.format == "gguf") != has_gguf_magic(spec))
    s = status(error_code::model_invalid, spec + ": not a " + options.format + " file");
  else if (has_gguf_magic(spec)) s = load_gguf(spec, m);
  else s = load_llama2c(spec, options, m);
  if (!s.ok()) return s;
  if (m.vocab.size() != m.config.vocab_size)
    return status(error_code::model_invalid,
                  spec + ": tokenizer has " + std::to_string(m.vocab.size()) +
                      " tokens but the model's vocabulary is " + std::to_string(m.config.vocab_size));
  m.stop_tokens = options.stop_tokens.empty() ? std::vector<int>{m.vocab.eos_id, m.vocab.bos_id}
                                              : options.stop_tokens;
  for (int t : m.stop_tokens)
    if (t < 0 || t >= m.config.vocab_size)
      return status(error_code::invalid_argument,
                    "stop token " + std::to_string(t) + " is outside the vocabulary");
  return m;
}

}  // namespace binserve
