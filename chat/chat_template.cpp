#include "chat/chat_template.hpp"

#include "chat/jinja_builtins.hpp"
#include "chat/jinja_interpreter.hpp"
#include "chat/jinja_parser.hpp"

namespace binserve {

status_or<chat_template> chat_template::compile(std::string_view source, error_code code, const std::string& origin) {
  try {
    return chat_template(std::make_shared<const jinja::program>(jinja::parse(source)));
  } catch (const jinja::error& e) {
    return status(code, origin + " cannot be parsed: " + e.what());
  }
}

status_or<std::string> chat_template::render(const nlohmann::ordered_json& variables,
                                             std::chrono::system_clock::time_point now) const {
  if (!variables.is_object()) return status(error_code::invalid_argument, "chat template variables must be an object");
  jinja::object_map names = jinja::globals(now);
  for (const auto& [k, v] : variables.items()) names.set(k, jinja::value::from_json(v));
  try {
    return jinja::render(*program_, std::move(names));
  } catch (const jinja::raised& e) {
    return status(error_code::invalid_argument, e.what());
  } catch (const jinja::error& e) {
    return status(error_code::invalid_argument, std::string("the chat template failed: ") + e.what());
  }
}

}  // namespace binserve
