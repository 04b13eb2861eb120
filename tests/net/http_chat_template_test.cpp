// /v1/chat/completions with a chat template (server.chat_template here; a
// model's own is the same path, tests/chat/llama32_chat_serving_test.cpp):
// the prompt is the template's rendering, tokenized with the BOS and EOS
// texts read as those tokens; what the template raises is a 400 naming messages;
// a template that cannot be parsed stops the server from starting. Also
// vLLM's return_token_ids on both endpoints.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/net/stories_http.hpp"

namespace binserve {
namespace {

using json = nlohmann::json;
using testing::kChat;
using testing::kCompletions;

class HttpChatTemplate : public testing::stories_http_test {
 protected:
  // A second server on the suite's service, rendering chats with `source`.
  std::unique_ptr<net::front_end> server_with(const std::string& source) {
    server_config sc;
    sc.http_port = 0;
    sc.chat_template = source;
    auto s = start_http_server(*svc_, sc, testing::kStoriesId);
    EXPECT_TRUE(s.ok()) << s.error().to_string();
    return s.ok() ? std::move(*s) : nullptr;
  }

  static json chat(const json& messages) {
    return {{"messages", messages}, {"max_tokens", 4}, {"temperature", 0}, {"return_token_ids", true}};
  }
};

TEST_F(HttpChatTemplate, TheDeploymentsTemplateRendersThePrompt) {
  auto server = server_with(
      "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}"
      "{% if add_generation_prompt %}[assistant]{% endif %}");
  ASSERT_TRUE(server);
  const json messages = {{{"role", "developer"}, {"content", "Be brief."}},
                         {{"role", "user"}, {"content", "Once upon a time"}}};
  const testing::http_reply r = testing::post(server->port(), kChat, chat(messages));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j()["prompt_token_ids"].get<std::vector<int>>(),
            svc_->encode("[system] Be brief.\n[user] Once upon a time\n[assistant]", /*add_bos=*/false))
      << "developer is rendered as system; no BOS is added to a rendered chat";
  EXPECT_EQ(r.j()["usage"]["prompt_tokens"], r.j()["prompt_token_ids"].size());
}

TEST_F(HttpChatTemplate, ALeadingBosTextBecomesTheBosToken) {
  auto server = server_with("{{ bos_token }}{{ messages[0].content }}");
  ASSERT_TRUE(server);
  const testing::http_reply r = testing::post(server->port(), kChat, chat(testing::chat_messages("Once upon a time")));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j()["prompt_token_ids"].get<std::vector<int>>(), svc_->encode("Once upon a time", /*add_bos=*/true));
  EXPECT_EQ(svc_->model_chat_format().bos_token, "<s>");
}

TEST_F(HttpChatTemplate, BosAndEosTextsInsideTheRenderingBecomeTheirTokens) {
  // Llama 2's template closes each assistant turn with "</s>" and opens the
  // next with "<s>"; SentencePiece would read them as text.
  auto server = server_with("{% for m in messages %}{{ bos_token }}{{ m.content }}{{ eos_token }}{% endfor %}");
  ASSERT_TRUE(server);
  const json messages = {{{"role", "user"}, {"content", "Once upon"}}, {{"role", "assistant"}, {"content", "a time"}}};
  const testing::http_reply r = testing::post(server->port(), kChat, chat(messages));
  ASSERT_EQ(r.status, 200) << r.body;
  const service::chat_format f = svc_->model_chat_format();
  std::vector<int> want = {f.bos_id};
  for (const auto& part : {svc_->encode("Once upon", false), std::vector<int>{f.eos_id, f.bos_id},
                           svc_->encode("a time", false), std::vector<int>{f.eos_id}})
    want.insert(want.end(), part.begin(), part.end());
  EXPECT_EQ(r.j()["prompt_token_ids"].get<std::vector<int>>(), want);
}

TEST_F(HttpChatTemplate, WhatTheTemplateRaisesIsA400NamingMessages) {
  auto server = server_with(
      "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}"
      "{% endif %}{{ m.content }}{% endfor %}");
  ASSERT_TRUE(server);
  const json messages = {{{"role", "system"}, {"content", "s"}}, {{"role", "user"}, {"content", "u"}}};
  const testing::http_reply r = testing::post(server->port(), kChat, chat(messages));
  EXPECT_EQ(r.status, 400) << r.body;
  const json e = json::parse(r.body)["error"];
  EXPECT_EQ(e["message"], "System role not supported");
  EXPECT_EQ(e["param"], "messages");
  EXPECT_EQ(e["code"], "invalid_argument");
  EXPECT_EQ(testing::post(server->port(), kChat, chat(testing::chat_messages("u"))).status, 200);
}

TEST_F(HttpChatTemplate, ATemplateThatCannotBeParsedStopsTheServerStarting) {
  server_config sc;
  sc.http_port = 0;
  sc.chat_template = "{% for m in messages %}{{ m.content }}";
  auto s = start_http_server(*svc_, sc, testing::kStoriesId);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), error_code::config_invalid);
  EXPECT_EQ(s.error().message(), "server.chat_template cannot be parsed: line 1: {% for %} is never closed");
}

TEST_F(HttpChatTemplate, ReturnTokenIdsOnCompletions) {
  const json j =
      ok(kCompletions,
         {{"prompt", "Once upon a time"}, {"max_tokens", 5}, {"temperature", 0}, {"return_token_ids", true}});
  EXPECT_EQ(j["choices"][0]["prompt_token_ids"].get<std::vector<int>>(), svc_->encode("Once upon a time", true));
  EXPECT_EQ(j["choices"][0]["token_ids"].size(), j["usage"]["completion_tokens"].get<std::size_t>());
  EXPECT_EQ(svc_->decode(j["choices"][0]["token_ids"].get<std::vector<int>>()), j["choices"][0]["text"]);
  EXPECT_FALSE(ok(kCompletions, {{"prompt", "Once"}, {"max_tokens", 2}})["choices"][0].contains("token_ids"))
      << "only when asked";
  const json e = error_of(kCompletions, {{"prompt", "Once"}, {"stream", true}, {"return_token_ids", true}});
  EXPECT_EQ(e["param"], "return_token_ids");
}

}  // namespace
}  // namespace binserve
