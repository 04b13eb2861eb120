// binserve's chat templates against @huggingface/jinja (issue 19): the cases
// tests/template_ref/export.mjs rendered with it (the real templates of
// tests/chat_templates/ over many conversations, with and without a
// generation prompt, and small templates for each construct) must render to
// the same text, and fail where it fails (with the same message when the
// template raised it).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "chat/chat_template.hpp"

namespace binserve {
namespace {

using ojson = nlohmann::ordered_json;

// "" when binserve agrees with the case, else what differs.
std::string disagreement(const ojson& c, std::chrono::system_clock::time_point now) {
  const bool expects_error = c.contains("error");
  auto t = chat_template::compile(c.at("template").get<std::string>(), error_code::config_invalid, "case");
  if (!t.ok()) return expects_error ? "" : "binserve cannot parse it: " + t.error().message();
  auto r = t->render(c.at("context"), now);
  if (expects_error) {
    if (r.ok()) return "binserve rendered " + ojson(*r).dump() + " where the reference failed: " + c.at("error").dump();
    const std::string& m = r.error().message();
    const bool raised = m.rfind("the chat template failed", 0) != 0;  // raise_exception's own message
    return !raised || m == c.at("error").get<std::string>()
               ? ""
               : "raised " + ojson(m).dump() + ", reference " + c.at("error").dump();
  }
  if (!r.ok()) return "binserve failed: " + r.error().message();
  const std::string& want = c.at("expected").get_ref<const std::string&>();
  return *r == want ? "" : "rendered " + ojson(*r).dump() + "\n    reference " + ojson(want).dump();
}

TEST(ChatTemplateReference, SameTextAsHuggingFaceJinja) {
  const char* path = std::getenv("BINSERVE_TEMPLATE_REFERENCE");
  if (path == nullptr || *path == '\0')
    GTEST_SKIP() << "skipped: needs the renderings tests/template_ref/run.sh makes with node "
                    "(ctest runs it as ChatTemplateReference.HuggingFaceJinja)";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  const ojson ref = ojson::parse(in);
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(ref.at("now_unix").get<long long>()));
  int cases = 0, real = 0, agree = 0, errors = 0, printed = 0;
  for (const ojson& c : ref.at("cases")) {
    ++cases;
    const std::string name = c.at("name").get<std::string>();
    real += name.rfind("construct/", 0) != 0;
    errors += c.contains("error");
    const std::string why = disagreement(c, now);
    if (why.empty()) {
      ++agree;
    } else if (printed++ < 40) {
      ADD_FAILURE() << name << ": " << why;
    }
  }
  std::printf("[ reference] @huggingface/jinja %s: %d cases (%d of real chat templates, %d errors), %d agree\n",
              ref.at("jinja").get<std::string>().c_str(), cases, real, errors, agree);
  EXPECT_GE(real, 300);
  EXPECT_EQ(agree, cases);
}

}  // namespace
}  // namespace binserve
