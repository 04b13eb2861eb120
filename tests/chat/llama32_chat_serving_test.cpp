// Issue 19, must-show 2: a Llama-3.2-1B-shaped model (dummy Q8_0 or Q4_K
// weights, the preset's shape with a 1024-token context) whose vocabulary and chat
// template come from a GGUF written with Llama 3's vocabulary as
// llama3-tokenizer-js has it and Llama 3.2's tokenizer.chat_template, served
// through /v1/chat/completions:
// - the prompt the engine sees (vLLM's return_token_ids) is the tokens of the
//   text @huggingface/jinja renders for the same conversation;
// - generation stops at <|eot_id|> (the GGUF's eot_token_id; its EOS is
//   <|end_of_text|>, as in Llama 3's base files) on the same server, which
//   counts as no output, while another control token does not stop it.
// ctest runs it through tests/template_ref/serving.sh, which exports both
// references first; run alone, it says so and skips.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "binserve/service.hpp"
#include "gpu/gguf_writer.hpp"
#include "net/http_server.hpp"
#include "tests/gpu/bpe_reference_model.hpp"
#include "tests/net/http_client.hpp"

namespace binserve {
namespace {

using json = nlohmann::json;

constexpr int kEotId = 128009;          // <|eot_id|>
constexpr int kStartHeaderId = 128006;  // <|start_header_id|>

json read_json(const char* path) {
  std::ifstream in(path);
  return json::parse(in);
}

TEST(ChatServing, Llama32PromptIsTheRenderedTemplateAndEotStops) {
  const char* tok_path = std::getenv("BINSERVE_BPE_REFERENCE");
  const char* tpl_path = std::getenv("BINSERVE_TEMPLATE_REFERENCE");
  if (!tok_path || !*tok_path || !tpl_path || !*tpl_path)
    GTEST_SKIP() << "skipped: needs the references tests/template_ref/serving.sh exports with node "
                    "(ctest runs it as ChatServing.Llama32PromptIsTheRenderedTemplate)";
  const json llama3 = read_json(tok_path).at("references").at(0);
  const json serving = read_json(tpl_path).at("serving");

  // The vocabulary and template, in a GGUF binserve's writer makes.
  model vocab_model = testing::bpe_reference_model(llama3);
  ASSERT_EQ(vocab_model.vocab.eot_id, kEotId);
  ASSERT_EQ(vocab_model.vocab.pieces[std::size_t(vocab_model.vocab.eos_id)],
            serving.at("eos_token").get<std::string>());
  vocab_model.vocab.chat_template = serving.at("template").get<std::string>();
  const std::string gguf = std::string(tpl_path) + ".llama3-vocab.gguf";
  ASSERT_TRUE(gguf::llama_gguf(vocab_model).write(gguf).ok());

  // Q8_0 by default: making 1.24B dummy weights in Q4_K (the k-quant fit of
  // every block) takes 150 s on a 2-core machine, Q8_0 7 s; the served path is
  // the same. BINSERVE_SERVING_TYPE=Q4_K runs it in Q4_K (docs/models.md).
  const char* type_env = std::getenv("BINSERVE_SERVING_TYPE");
  const std::string type = type_env && *type_env ? type_env : "Q8_0";
  service_config c;
  c.model = "dummy:llama3.2-1b,ctx=1024,type=" + type + ",tokenizer=" + gguf;
  c.executors = 1;
  c.predictor.kind = "fixed";
  // Not a timed test: under ASan on a slow 2-core CI machine one step of a
  // 1.24B model (the prompt's prefill) can take longer than the hang
  // detector's 30 s floor and the client's 30 s wait. Both wait 10 minutes.
  constexpr int kPatienceS = 600;
  c.limits.batch_timeout_floor_ms = kPatienceS * 1000;
  auto svc = service::start(c);
  ASSERT_TRUE(svc.ok()) << svc.error().to_string();
  server_config sc;
  sc.http_port = 0;
  auto server = start_http_server(**svc, sc, "llama3.2-1b");
  ASSERT_TRUE(server.ok()) << server.error().to_string();

  const std::string expected = serving.at("expected").get<std::string>();
  const std::vector<int> want_ids = (*svc)->encode(expected, /*add_bos=*/false);
  ASSERT_EQ(want_ids.front(), vocab_model.vocab.bos_id) << "<|begin_of_text|> is read as the BOS token";
  const int port = (*server)->port();
  const auto chat = [&](const json& messages, int max_tokens, const json& bias) {
    const testing::http_reply r = testing::post(port, "/v1/chat/completions",
                                                {{"messages", messages},
                                                 {"max_tokens", max_tokens},
                                                 {"temperature", 0},
                                                 {"return_token_ids", true},
                                                 {"logit_bias", bias}},
                                                kPatienceS);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.j() : json();
  };
  const json a = chat(serving.at("messages"), 1, json::object());
  EXPECT_EQ(a.at("prompt_token_ids").get<std::vector<int>>(), want_ids);
  EXPECT_EQ(a["usage"]["prompt_tokens"], static_cast<int>(want_ids.size()));

  // Stopping, on the same server: random weights with a tied classifier make
  // the last prompt token by far the most likely next one (by ~500 in logit,
  // past any logit_bias), so a prompt ending in <|eot_id|> generates it
  // first: the answer ends there, with no output. One ending in
  // <|start_header_id|>, a control token that is not a stop token, runs on.
  const auto complete = [&](const std::string& prompt) {
    const testing::http_reply r = testing::post(
        port, "/v1/completions",
        {{"prompt", prompt}, {"max_tokens", 3}, {"temperature", 0}, {"return_token_ids", true}}, kPatienceS);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.j()["choices"][0] : json();
  };
  const json stopped = complete("The capital of France is Paris.<|eot_id|>");
  EXPECT_EQ(stopped["prompt_token_ids"].back(), kEotId);
  EXPECT_EQ(stopped["finish_reason"], "stop");
  EXPECT_EQ(stopped["token_ids"], json::array()) << "<|eot_id|> ends the turn and is not output";
  EXPECT_EQ(stopped["text"], "");
  const json ran_on = complete("The capital of France is Paris.<|start_header_id|>");
  EXPECT_EQ(ran_on["token_ids"], json::array({kStartHeaderId, kStartHeaderId, kStartHeaderId}));
  EXPECT_EQ(ran_on["finish_reason"], "length");
  std::printf(
      "[ serving  ] llama3.2-1b %s, Llama 3 vocabulary: prompt of %zu tokens equals the rendered "
      "template's; <|eot_id|> stops generation\n",
      type.c_str(), want_ids.size());
}

}  // namespace
}  // namespace binserve
