#include "tools/model_options.hpp"

#include <iostream>

#include "tools/enum_option.hpp"

namespace binserve::tools {

void model_flags::add_to(CLI::App& cmd) {
  cmd.add_option("--model", model,
                 "model: a llama2.c .bin, a .gguf, or dummy:PRESET[,KEY=N]... (KEY: seed, ctx, layers, dim, hidden, "
                 "heads, kv_heads, vocab; PRESET custom sets its shape with them; arch=qwen2 gives its layers q/k/v "
                 "biases and half-split RoPE; tokenizer=FILE takes the vocabulary of a GGUF or llama2.c tokenizer "
                 "file; type=Q8_0, Q4_K, ... makes the weights in that type)")
      ->required();
  cmd.add_option("--tokenizer", tokenizer, "llama2.c tokenizer file (default: beside the model)");
  add_enum_option(cmd, "--backend", backend.kind, "execution backend: cpu or cuda");
  cmd.add_option("--threads", backend.threads, "CPU threads (0: every core)")->capture_default_str();
  add_enum_option(cmd, "--dtype", backend.dtype, "weights and KV cache: fp32, fp16 or bf16 (fp16/bf16: cuda)");
  cmd.add_option("--device", backend.device, "cuda: device ordinal")->capture_default_str();
}

std::shared_ptr<const binserve::model> model_flags::load() const {
  auto m = load_model(model, model_options{tokenizer, {}});
  if (!m.ok()) {
    report(m.error());
    return nullptr;
  }
  return std::make_shared<const binserve::model>(std::move(*m));
}

int report(const status& s) {
  std::cerr << "binserve: " << s.to_string() << "\n";
  return 1;
}

}  // namespace binserve::tools
