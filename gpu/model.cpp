#include "gpu/model.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "gpu/gguf_loader.hpp"
#include "gpu/gguf_reader.hpp"
#include "gpu/llama2c_loader.hpp"
#include "gpu/tokenizer.hpp"

namespace binserve {

namespace {

constexpr const char* kDummyPrefix = "dummy:";

// The shape fields a dummy spec may set, with their bounds.
struct shape_option {
  const char* key;
  int model_config::*field;
  long long max;
};
constexpr shape_option kShapeOptions[] = {
    {"ctx", &model_config::n_ctx, 1 << 20},        {"layers", &model_config::n_layers, 1024},
    {"dim", &model_config::dim, 1 << 16},          {"hidden", &model_config::hidden_dim, 1 << 18},
    {"heads", &model_config::n_heads, 1024},       {"kv_heads", &model_config::n_kv_heads, 1024},
    {"vocab", &model_config::vocab_size, 1 << 20},
};

// "dummy:PRESET[,KEY=N]...[,arch=llama|qwen2][,tokenizer=FILE][,type=T]" ->
// config, seed, vocabulary (made up, or FILE's: a GGUF's or a llama2.c
// tokenizer's, whose size then is the model's), and with a type the weights. PRESET `custom` starts from no shape: dim,
// hidden, layers, heads and vocab are then required (kv_heads defaults to heads, ctx to 1024; the classifier is
// shared).
status load_dummy(const std::string& spec, model& out) {
  std::string rest = spec.substr(std::strlen(kDummyPrefix));
  std::string preset = rest.substr(0, rest.find(','));
  const bool custom = preset == "custom";
  if (custom) {
    out.config = model_config{};
    out.config.n_ctx = 1024;
  } else {
    auto config = model_preset(preset);
    if (!config.ok())
      return status(error_code::invalid_argument, config.error().message() +
                                                      "; or custom with dim, hidden, "
                                                      "layers, heads and vocab");
    out.config = *config;
  }
  out.dummy_seed = 1;
  std::optional<gguf::tensor_type> type;
  std::string tokenizer_file;
  for (size_t at = rest.find(','); at != std::string::npos;) {
    size_t end = rest.find(',', at + 1);
    std::string opt = rest.substr(at + 1, end == std::string::npos ? end : end - at - 1);
    size_t eq = opt.find('=');
    std::string key = opt.substr(0, eq), value = eq == std::string::npos ? "" : opt.substr(eq + 1);
    at = end;
    if (key == "arch") {  // the layer's kind: Llama's, or Qwen2's (q/k/v biases, half-split RoPE)
      if (value != "llama" && value != "qwen2")
        return status(error_code::invalid_argument, "'" + spec + "': option '" + opt + "' needs llama or qwen2");
      out.config.qkv_bias = value == "qwen2";
      out.config.rope = value == "qwen2" ? rope_style::halves : rope_style::interleaved;
      continue;
    }
    if (key == "tokenizer") {  // a real vocabulary: a GGUF's, or a llama2.c tokenizer file
      tokenizer_file = value;
      continue;
    }
    if (key == "type") {
      if (!(type = gguf::type_named(value)))
        return status(error_code::invalid_argument,
                      "'" + spec + "': option '" + opt + "' needs F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K or Q6_K");
      continue;
    }
    const shape_option* shape = nullptr;
    for (const shape_option& o : kShapeOptions)
      if (key == o.key) shape = &o;
    if (shape == nullptr && key != "seed")
      return status(error_code::invalid_argument, "'" + spec + "': unknown option '" + key +
                                                      "' (known: seed, ctx, layers, dim, hidden, heads, kv_heads, "
                                                      "vocab, arch, tokenizer, type)");
    char* stop = nullptr;
    const long long v = std::strtoll(value.c_str(), &stop, 10);
    if (value.empty() || *stop != '\0' || v <= 0 || (shape != nullptr && v > shape->max))
      return status(error_code::invalid_argument, "'" + spec + "': option '" + opt + "' needs a positive integer" +
                                                      (shape != nullptr ? " up to " + std::to_string(shape->max) : ""));
    if (shape != nullptr)
      out.config.*(shape->field) = static_cast<int>(v);
    else
      out.dummy_seed = static_cast<std::uint64_t>(v);
  }
  if (custom && out.config.n_kv_heads == 0) out.config.n_kv_heads = out.config.n_heads;
  if (status s = out.config.validate(); !s.ok())
    return status(error_code::invalid_argument, "'" + spec + "': " + s.message());
  if (!tokenizer_file.empty()) {
    auto v = gguf::is_gguf_file(tokenizer_file) ? load_gguf_vocab(tokenizer_file)
                                                : load_llama2c_vocab(tokenizer_file, out.config.vocab_size);
    if (!v.ok()) return status(v.error().code(), "'" + spec + "': tokenizer: " + v.error().message());
    out.vocab = std::move(*v);
    out.config.vocab_size = out.vocab.size();  // the preset's size gives way to the file's
  } else {
    constexpr int kDummyTokens = 3 + 256;  // <unk>, <s>, </s> and the bytes (make_dummy_vocab)
    if (out.config.vocab_size < kDummyTokens)
      return status(error_code::invalid_argument, "'" + spec + "': vocab must be at least " +
                                                      std::to_string(kDummyTokens) + " (3 specials and 256 bytes)");
    out.vocab = make_dummy_vocab(out.config.vocab_size);
  }
  // A type makes the weights here, in it; without one each backend makes them.
  if (type) out.weights = typed_dummy_weights(out.config, out.dummy_seed, *type);
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

status load_llama2c(const std::string& path, const model_options& options, model& out) {
  if (status s = load_llama2c_weights(path, out); !s.ok()) return s;
  const std::string tok =
      options.tokenizer_path.empty() ? default_tokenizer(path, out.config.vocab_size) : options.tokenizer_path;
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
  if (spec.rfind(kDummyPrefix, 0) == 0)
    s = load_dummy(spec, m);
  else if (!std::filesystem::exists(spec))
    s = status(error_code::io_error, spec + ": no such model file");
  else if (options.format != "auto" && (options.format == "gguf") != gguf::is_gguf_file(spec))
    s = status(error_code::model_invalid, spec + ": not a " + options.format + " file");
  else if (gguf::is_gguf_file(spec))
    s = load_gguf(spec, m);
  else
    s = load_llama2c(spec, options, m);
  if (!s.ok()) return s;
  if (m.vocab.size() != m.config.vocab_size)
    return status(error_code::model_invalid, spec + ": tokenizer has " + std::to_string(m.vocab.size()) +
                                                 " tokens but the model's vocabulary is " +
                                                 std::to_string(m.config.vocab_size));
  m.stop_tokens = options.stop_tokens.empty() ? std::vector<int>{m.vocab.eos_id, m.vocab.bos_id} : options.stop_tokens;
  if (options.stop_tokens.empty() && m.vocab.eot_id >= 0) m.stop_tokens.push_back(m.vocab.eot_id);
  for (int t : m.stop_tokens)
    if (t < 0 || t >= m.config.vocab_size)
      return status(error_code::invalid_argument, "stop token " + std::to_string(t) + " is outside the vocabulary");
  return m;
}

}  // namespace binserve
