#include "net/chat_prompt.hpp"

namespace binserve::net {

status_or<chat_prompt> chat_prompt::make(const service& svc, const std::string& deployment_template) {
  service::chat_format f = svc.model_chat_format();
  const bool own = deployment_template.empty();
  const std::string& source = own ? f.chat_template : deployment_template;
  if (source.empty()) return chat_prompt(svc, std::nullopt, std::move(f));
  auto t = chat_template::compile(source, own ? error_code::model_invalid : error_code::config_invalid,
                                  own ? "the model's tokenizer.chat_template" : "server.chat_template");
  if (!t.ok() && own)
    return status(t.error().code(),
                  t.error().message() + " (set server.chat_template to a template binserve can render)");
  if (!t.ok()) return t.error();
  return chat_prompt(svc, std::move(*t), std::move(f));
}

status chat_prompt::apply(openai::api_call& call) const {
  if (!template_) return status::ok_status();
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  for (const openai::chat_message& m : call.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
  const nlohmann::ordered_json variables = {{"messages", std::move(messages)},
                                            {"add_generation_prompt", true},
                                            {"bos_token", format_.bos_token},
                                            {"eos_token", format_.eos_token}};
  auto text = template_->render(variables);
  if (!text.ok()) return text.error();
  const std::vector<int> ids = tokenize(*text);
  for (request& r : call.choices) {
    r.prompt.clear();
    r.prompt_ids = ids;
  }
  return status::ok_status();
}

std::vector<int> chat_prompt::tokenize(std::string_view text) const {
  std::vector<int> ids;
  const std::pair<const std::string*, int> specials[] = {{&format_.bos_token, format_.bos_id},
                                                         {&format_.eos_token, format_.eos_id}};
  while (!text.empty()) {
    std::size_t hit = std::string_view::npos;
    const std::pair<const std::string*, int>* which = nullptr;
    for (const auto& sp : specials)
      if (std::size_t at = sp.first->empty() ? std::string_view::npos : text.find(*sp.first); at < hit) {
        hit = at;
        which = &sp;
      }
    const std::vector<int> plain = svc_->encode(text.substr(0, hit), /*add_bos=*/false);
    ids.insert(ids.end(), plain.begin(), plain.end());
    if (which == nullptr) break;
    ids.push_back(which->second);
    text.remove_prefix(hit + which->first->size());
  }
  return ids;
}

}  // namespace binserve::net
