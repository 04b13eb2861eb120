// binserve quantize: a GGUF file with its weight matrices in another type
// (gpu/gguf_quantize.hpp).
#include <iostream>
#include <map>
#include <memory>

#include "gpu/gguf_quantize.hpp"
#include "tools/commands.hpp"

namespace binserve::tools {

namespace {

struct quantize_flags {
  std::string model, out, type;
};

const std::map<std::string, gguf::tensor_type>& writable_types() {
  static const std::map<std::string, gguf::tensor_type> types = {
      {"F32", gguf::tensor_type::f32},   {"F16", gguf::tensor_type::f16}, {"BF16", gguf::tensor_type::bf16},
      {"Q8_0", gguf::tensor_type::q8_0}, {"Q4_0", gguf::tensor_type::q4_0}, {"Q4_K", gguf::tensor_type::q4_k},
      {"Q5_K", gguf::tensor_type::q5_k}, {"Q6_K", gguf::tensor_type::q6_k}};
  return types;
}

}  // namespace

void add_quantize_command(CLI::App& app) {
  auto flags = std::make_shared<quantize_flags>();
  auto* cmd = app.add_subcommand("quantize", "Write a GGUF file with its weight matrices in another tensor type");
  cmd->add_option("--model", flags->model, "a .gguf file (F32, F16, BF16 or any type binserve reads)")->required();
  cmd->add_option("--type", flags->type, "the matrices' type")
      ->required()
      ->check(CLI::IsMember(writable_types()));
  cmd->add_option("--out", flags->out, "the .gguf file to write")->required();
  cmd->callback([flags] {
    const status s = gguf::quantize_gguf(flags->model, flags->out, writable_types().at(flags->type));
    if (!s.ok()) {
      std::cerr << "binserve quantize: " << s.to_string() << "\n";
      throw CLI::RuntimeError(1);
    }
  });
}

}  // namespace binserve::tools
