// chat_template's own contract (what the reference comparison in
// chat_template_reference_test.cpp cannot show): errors name the line and
// the construct, a template's raise_exception reaches the client as written,
// runaway templates stop, strftime_now reads the clock it is given, and one
// compiled template renders from many threads at once.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "chat/chat_template.hpp"

namespace binserve {
namespace {

using ojson = nlohmann::ordered_json;

chat_template compiled(const std::string& source) {
  auto t = chat_template::compile(source, error_code::config_invalid, "test");
  EXPECT_TRUE(t.ok()) << t.error().to_string();
  return std::move(t).value();
}

std::string parse_error(const std::string& source) {
  auto t = chat_template::compile(source, error_code::model_invalid, "the model's template");
  EXPECT_FALSE(t.ok()) << source;
  if (t.ok()) return "";
  EXPECT_EQ(t.error().code(), error_code::model_invalid);
  return t.error().message();
}

std::string render_error(const std::string& source, const ojson& variables = ojson::object()) {
  auto r = compiled(source).render(variables);
  EXPECT_FALSE(r.ok()) << source << " rendered " << (r.ok() ? *r : "");
  if (r.ok()) return "";
  EXPECT_EQ(r.error().code(), error_code::invalid_argument);
  return r.error().message();
}

TEST(ChatTemplate, ParseErrorsNameTheLineAndTheConstruct) {
  EXPECT_EQ(parse_error("text\n{% include 'header.jinja' %}"),
            "the model's template cannot be parsed: line 2: unsupported statement {% include %}");
  EXPECT_EQ(parse_error("{% for m in messages %}{{ m }}"),
            "the model's template cannot be parsed: line 1: {% for %} is never closed");
  EXPECT_EQ(
      parse_error("a\nb\n{{ x is divisibleby(3) }}"),
      "the model's template cannot be parsed: line 3: tests with arguments ('is divisibleby(...)') are not supported");
  EXPECT_EQ(parse_error("{{ 'unterminated }}"),
            "the model's template cannot be parsed: line 1: a string literal is never closed");
}

TEST(ChatTemplate, RaisedErrorsReachTheCallerAsWritten) {
  const std::string t =
      "{% for m in messages %}{% if m.role == 'system' %}"
      "{{ raise_exception('System role not supported') }}{% endif %}{{ m.content }}{% endfor %}";
  EXPECT_EQ(render_error(t, {{"messages", {{{"role", "system"}, {"content", "s"}}}}}), "System role not supported");
  auto ok = compiled(t).render({{"messages", {{{"role", "user"}, {"content", "hi"}}}}});
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(*ok, "hi");
}

TEST(ChatTemplate, RenderErrorsNameTheLineAndWhatFailed) {
  EXPECT_EQ(render_error("line one\n{{ messages | no_such_filter }}", {{"messages", ojson::array({1})}}),
            "the chat template failed: line 2: Unknown ArrayValue filter: no_such_filter");
  EXPECT_EQ(render_error("{{ none + 1 }}"),
            "the chat template failed: line 1: Cannot perform operation on null values");
  EXPECT_EQ(render_error("{{ nothing() }}"),
            "the chat template failed: line 1: Cannot call something that is not a function: got UndefinedValue");
}

TEST(ChatTemplate, RunawayTemplatesStop) {
  EXPECT_EQ(render_error("{% for i in range(2000000) %}{% endfor %}"),
            "the chat template failed: line 1: range() of more than 1000000 numbers");
  EXPECT_EQ(render_error("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"),
            "the chat template failed: line 1: macros nested deeper than 64");
  const std::string doubling =
      "{% set ns = namespace(s='xxxxxxxxxxxxxxxx') %}"
      "{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}";
  EXPECT_EQ(render_error(doubling), "the chat template failed: line 1: a string passed 64 MiB");
  EXPECT_EQ(render_error("{% for i in range(300000) %}" + std::string(256, 'y') + "{% endfor %}"),
            "the chat template failed: line 1: the rendered text passed 64 MiB");
}

TEST(ChatTemplate, StrftimeNowFormatsTheGivenClockInLocalTime) {
  const char* old_tz = std::getenv("TZ");
  const std::string saved = old_tz ? old_tz : "";
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  const auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1783684800));  // 2026-07-10T12:00:00Z
  auto r = compiled("{{ strftime_now('%d %b %Y, %B %m/%d %H:%M 100%% %A') }}").render(ojson::object(), t);
  if (old_tz)
    ::setenv("TZ", saved.c_str(), 1);
  else
    ::unsetenv("TZ");
  ::tzset();
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, "10 Jul 2026, July 07/10 12:00 100% %A") << "unsupported directives stay as written";
}

TEST(ChatTemplate, OneTemplateRendersOnManyThreadsAtOnce) {
  const chat_template t = compiled(
      "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}"
      "<|{{ m.role }}|>{{ m.content | trim }}{% endfor %}{{ ns.n }}");
  std::vector<std::thread> threads;
  std::vector<std::string> out(8);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      for (int k = 0; k < 200; ++k) {
        const ojson v = {{"messages", {{{"role", "user"}, {"content", " thread " + std::to_string(i) + " "}}}}};
        auto r = t.render(v);
        out[std::size_t(i)] = r.ok() ? *r : r.error().to_string();
      }
    });
  for (auto& th : threads) th.join();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(out[std::size_t(i)], "<|user|>thread " + std::to_string(i) + "1");
}

}  // namespace
}  // namespace binserve
