// binserve::chat_template: a model's chat template (GGUF
// `tokenizer.chat_template`, or a deployment's `server.chat_template`), which
// turns a conversation into the prompt text the model was trained on.
//
// Templates are Jinja, rendered as Hugging Face renders them (trim_blocks and
// lstrip_blocks on) with the subset chat templates use (chat/jinja_*.hpp);
// the output is checked against @huggingface/jinja (tests/template_ref/).
// Compiled once, immutable after: render may be called from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "binserve/status.hpp"

namespace binserve {

namespace jinja {
struct program;
}

class chat_template {
 public:
  // Parses `source`. Errors: `code` (config_invalid for a deployment's
  // template, model_invalid for a model's): "<origin> cannot be parsed: line
  // N: <the construct that is malformed or not supported>".
  static status_or<chat_template> compile(std::string_view source, error_code code, const std::string& origin);

  // The template's output for `variables`, an object: `messages` (a list of
  // {role, content, ...}), `add_generation_prompt`, `bos_token`,
  // `eos_token`, and whatever else the template reads. `now` is what
  // strftime_now formats, in the local time zone.
  // Errors: invalid_argument with the template's raise_exception message
  // ("Conversation roles must alternate ...") or the line and construct that
  // failed on this input (an unknown filter, a type it does not apply to).
  status_or<std::string> render(const nlohmann::ordered_json& variables,
                                std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

 private:
  explicit chat_template(std::shared_ptr<const jinja::program> p) : program_(std::move(p)) {}
  std::shared_ptr<const jinja::program> program_;
};

}  // namespace binserve
