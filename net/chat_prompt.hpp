// binserve::net::chat_prompt: how /v1/chat/completions turns a conversation
// into the prompt the engine sees.
//
// With a chat template (server.chat_template, else the model's GGUF
// tokenizer.chat_template) the prompt is the template's rendering of
// {messages, add_generation_prompt: true, bos_token, eos_token}, tokenized
// as Hugging Face and vLLM tokenize chats: no BOS added, the BOS and EOS
// texts the template printed read as those tokens (the text between each a
// prompt of its own, so SentencePiece gives it its leading-space prefix), and
// in byte-level BPE vocabularies every control token's text read as the
// token. Without a template the prompt stays the messages' texts joined by
// "\n" (net/openai.hpp).
// Immutable once made; used from the io thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "binserve/service.hpp"
#include "binserve/status.hpp"
#include "chat/chat_template.hpp"
#include "net/openai.hpp"

namespace binserve::net {

class chat_prompt {
 public:
  // Errors: config_invalid (the deployment's template) or model_invalid (the
  // model's) when the template cannot be parsed, naming the construct.
  static status_or<chat_prompt> make(const service& svc, const std::string& deployment_template);

  bool has_template() const { return template_.has_value(); }

  // Sets every choice of `call` (a chat) to the rendered prompt's ids. Errors:
  // invalid_argument with what the template raised or failed on.
  status apply(openai::api_call& call) const;

 private:
  std::vector<int> tokenize(std::string_view text) const;
  chat_prompt(const service& svc, std::optional<chat_template> t, service::chat_format f)
      : svc_(&svc), template_(std::move(t)), format_(std::move(f)) {}

  const service* svc_;
  std::optional<chat_template> template_;
  service::chat_format format_;
};

}  // namespace binserve::net
