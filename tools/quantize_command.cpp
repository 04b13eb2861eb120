// binserve quantize: a model as a GGUF file with its weight matrices in a
// tensor type (gpu/gguf_quantize.hpp).
#include <iostream>
#include <map>
#include <memory>

#include "gpu/backend.hpp"
#include "gpu/gguf_quantize.hpp"
#include "gpu/gguf_reader.hpp"
#include "gpu/host_weights.hpp"
#include "gpu/model.hpp"
#include "tools/commands.hpp"

namespace binserve::tools {

namespace {

struct quantize_flags {
  std::string model, out, type;
};

const std::map<std::string, gguf::tensor_type>& writable_types() {
  static const std::map<std::string, gguf::tensor_type> types = {
      {"F32", gguf::tensor_type::f32},   {"F16", gguf::tensor_type::f16},   {"BF16", gguf::tensor_type::bf16},
      {"Q8_0", gguf::tensor_type::q8_0}, {"Q4_0", gguf::tensor_type::q4_0}, {"Q4_K", gguf::tensor_type::q4_k},
      {"Q5_K", gguf::tensor_type::q5_k}, {"Q6_K", gguf::tensor_type::q6_k}};
  return types;
}

// A GGUF is rewritten tensor by tensor; other models are loaded (a dummy's
// weights made on the host, so its fp32 size must fit in memory) and written.
status run_quantize(const quantize_flags& f) {
  const gguf::tensor_type type = writable_types().at(f.type);
  if (gguf::is_gguf_file(f.model)) return gguf::quantize_gguf(f.model, f.out, type);
  auto m = load_model(f.model);
  if (!m.ok()) return m.error();
  if (m->is_dummy()) {
    const std::int64_t bytes = m->config.n_params() * std::int64_t(sizeof(float));
    const std::int64_t memory = host_memory_bytes();
    if (bytes > memory / 2)
      return status(error_code::out_of_memory, f.model + ": its fp32 weights (" + std::to_string(bytes >> 20) +
                                                   " MiB) are more than half of this machine's memory");
    auto w = std::make_shared<host_weights>(m->config);
    fill_dummy_weights(m->config, m->dummy_seed, *w);
    m->weights = std::move(w);
  }
  return gguf::quantize_model(*m, f.out, type);
}

}  // namespace

void add_quantize_command(CLI::App& app) {
  auto flags = std::make_shared<quantize_flags>();
  auto* cmd = app.add_subcommand("quantize", "Write a GGUF file with its weight matrices in another tensor type");
  cmd->add_option("--model", flags->model,
                  "a .gguf file (of any type binserve reads), a llama2.c .bin (tokenizer beside it), or dummy:SPEC")
      ->required();
  cmd->add_option("--type", flags->type, "the matrices' type")->required()->check(CLI::IsMember(writable_types()));
  cmd->add_option("--out", flags->out, "the .gguf file to write")->required();
  cmd->callback([flags] {
    const status s = run_quantize(*flags);
    if (!s.ok()) {
      std::cerr << "binserve quantize: " << s.to_string() << "\n";
      throw CLI::RuntimeError(1);
    }
  });
}

}  // namespace binserve::tools
