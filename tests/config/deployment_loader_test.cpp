// Deployment files: the examples, defaults, paths, every validation error,
// the to_yaml round trip and robustness to truncated input.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "config/deployment_loader.hpp"
#include "tests/run_binserve.hpp"
#include "tests/test_paths.hpp"

namespace binserve {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = fs::path(__FILE__).parent_path().parent_path().parent_path();

std::string example(const std::string& name) { return (kSourceDir / "examples" / name).string(); }

// A fresh folder under the temp dir, removed when the test ends.
class DeploymentLoader : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("binserve_config_" + std::string(info->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

  // The config_invalid message of `yaml_text` parsed as "d.yaml" (fails the
  // test when it parses).
  std::string error_of(const std::string& yaml_text) {
    auto c = parse_deployment(yaml_text, (dir_ / "d.yaml").string());
    EXPECT_FALSE(c.ok()) << yaml_text;
    if (c.ok()) return "";
    EXPECT_EQ(c.error().code(), error_code::config_invalid) << c.error().to_string();
    return c.error().message();
  }

  std::string at(const std::string& line_col) { return (dir_ / "d.yaml").string() + ":" + line_col + ": "; }

  fs::path dir_;
};

TEST_F(DeploymentLoader, ExamplesLoad) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  auto tiny = load_deployment(example("stories260k.yaml"));
  ASSERT_TRUE(tiny.ok()) << tiny.error().to_string();
  EXPECT_TRUE(fs::equivalent(tiny->service.model, testing::shared_path("models/stories260K.bin")));
  EXPECT_EQ(tiny->service.policy.kind, policy_kind::sequence);
  EXPECT_EQ(tiny->service.policy.batch_size, 8);
  EXPECT_EQ(tiny->server.tcp_port, 7070);
  auto gpu = load_deployment(example("llama2-7b-gpu.yaml"));
  ASSERT_TRUE(gpu.ok()) << gpu.error().to_string();
  EXPECT_EQ(gpu->service.model, "dummy:llama2-7b");
  EXPECT_EQ(gpu->service.backend, backend_kind::cuda);
  EXPECT_TRUE(gpu->service.policy.variable_batch);
  EXPECT_EQ(gpu->service.policy.batch_size, 16);
  EXPECT_EQ(gpu->service.limits.max_new_tokens, 512);
}

TEST_F(DeploymentLoader, AbsentKeysKeepTheDefaults) {
  auto c = parse_deployment("model: {dummy: stories15m}\npolicy: {kind: multibin}\n", "d.yaml");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  deployment_config defaults;
  defaults.service.model = "dummy:stories15m";
  defaults.service.policy.kind = policy_kind::multibin;
  EXPECT_EQ(to_yaml(*c), to_yaml(defaults));
  EXPECT_EQ(c->service.policy.max_wait, std::chrono::milliseconds(50));
  EXPECT_EQ(c->server.host, "127.0.0.1");
  EXPECT_EQ(c->logging.level, "info");
}

TEST_F(DeploymentLoader, RelativePathsResolveAgainstTheFilesFolder) {
  write("models/m.bin", "x");
  write("models/tok.bin", "x");
  write("predictors/p.json", "{}");
  const std::string file = write("deploy/d.yaml",
                                 "model: {path: ../models/m.bin, tokenizer: ../models/tok.bin}\n"
                                 "predictor: {kind: learned, model_file: ../predictors/p.json,\n"
                                 "            probe_file: ../predictors/p.json, refresh_tokens: 8}\n"
                                 "logging: {step_trace: ../traces/steps.jsonl}\n");
  auto c = load_deployment(file);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->service.model, (dir_ / "models/m.bin").string());
  EXPECT_EQ(c->service.step_trace, (dir_ / "traces/steps.jsonl").string());  // written later: need not exist
  EXPECT_EQ(c->service.tokenizer, (dir_ / "models/tok.bin").string());
  EXPECT_EQ(c->service.predictor.model_file, (dir_ / "predictors/p.json").string());
  EXPECT_EQ(c->service.predictor.probe_file, (dir_ / "predictors/p.json").string());
  EXPECT_EQ(c->service.predictor.refresh_tokens, 8);
}

TEST_F(DeploymentLoader, MissingFilesAreNamed) {
  auto c = load_deployment((dir_ / "absent.yaml").string());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), error_code::io_error);
  EXPECT_NE(c.error().message().find("absent.yaml"), std::string::npos);
  EXPECT_EQ(error_of("model:\n  path: nope.bin\n"),
            at("2:9") + "model.path: " + (dir_ / "nope.bin").string() + " does not exist");
  EXPECT_EQ(error_of("model: {dummy: x, tokenizer: t.bin}\n"),
            at("1:30") + "model.tokenizer: " + (dir_ / "t.bin").string() + " does not exist");
}

TEST_F(DeploymentLoader, SyntaxErrorsAreConfigInvalidWithAPosition) {
  EXPECT_EQ(error_of("model: {dummy: x\n").rfind(at("2:1") + "YAML syntax error: ", 0), 0u);
  const std::string unclosed = error_of("model: [1, 2\npolicy: {}\n");
  EXPECT_EQ(unclosed.rfind((dir_ / "d.yaml:").string(), 0), 0u) << unclosed;
  EXPECT_NE(unclosed.find(": YAML syntax error: "), std::string::npos) << unclosed;
  EXPECT_NE(error_of("model:\n\tdummy: x\n").find("YAML syntax error"), std::string::npos);
}

TEST_F(DeploymentLoader, UnknownKeysSuggestTheNearestKnownOne) {
  EXPECT_EQ(error_of("model: {dummy: x}\npolicy:\n  batchsize: 3\n"),
            at("3:3") + "policy.batchsize: unknown key; did you mean 'batch_size'?");
  EXPECT_EQ(error_of("model: {dummy: x}\nexecutor: 2\n"),
            at("2:1") + "executor: unknown key; did you mean 'executors'?");
  EXPECT_EQ(error_of("model: {dumy: x}\n"), at("1:9") + "model.dumy: unknown key; did you mean 'dummy'?");
  EXPECT_EQ(error_of("model: {dummy: x}\nlogging: {verbosity: 2}\n"),
            at("2:11") + "logging.verbosity: unknown key; known keys: level, step_trace");
}

TEST_F(DeploymentLoader, WrongTypesNameTheKey) {
  EXPECT_EQ(error_of("model: {dummy: x}\npolicy:\n  batch_size: abc\n"),
            at("3:15") + "policy.batch_size: expected an integer, got a scalar ('abc')");
  EXPECT_EQ(error_of("model: {dummy: x}\nserver: {host: {a: 1}}\n"),
            at("2:16") + "server.host: expected a string, got a map");
  EXPECT_EQ(error_of("model: {dummy: x}\npolicy: 3\n"), at("2:9") + "policy: expected a map, got a scalar ('3')");
  EXPECT_EQ(error_of("model: {dummy: x}\npolicy: {variable_batch: maybe}\n"),
            at("2:26") + "policy.variable_batch: expected true or false, got a scalar ('maybe')");
  EXPECT_EQ(error_of("model: {dummy: x}\npredictor: {ratio: [1]}\n"),
            at("2:20") + "predictor.ratio: expected a number, got a list");
  EXPECT_EQ(error_of("model: {dummy: x, stop_tokens: [1, b]}\n"),
            at("1:36") + "model.stop_tokens[1]: expected an integer, got a scalar ('b')");
  EXPECT_EQ(error_of("model: {dummy: x}\npolicy: {batch_size: }\n"), at("2:22") + "policy.batch_size: has no value");
}

TEST_F(DeploymentLoader, OutOfRangeValuesAreRejected) {
  const std::string m = "model: {dummy: x}\n";
  EXPECT_EQ(error_of(m + "policy: {batch_size: 0}\n"), at("2:22") + "policy.batch_size: must be >= 1 (got 0)");
  EXPECT_EQ(error_of(m + "policy: {batch_size: 32, max_batch_size: 16}\n"),
            at("2:42") + "policy.max_batch_size: must be >= policy.batch_size (16 < 32)");
  EXPECT_EQ(error_of(m + "predictor: {quantile: 1}\n"), at("2:23") + "predictor.quantile: must be in (0, 1) (got 1)");
  EXPECT_EQ(error_of(m + "predictor: {quantile: 0}\n"), at("2:23") + "predictor.quantile: must be in (0, 1) (got 0)");
  EXPECT_EQ(error_of(m + "predictor: {hint_weight: 1.5}\n"),
            at("2:26") + "predictor.hint_weight: must be in [0, 1] (got 1.5)");
  EXPECT_EQ(error_of(m + "predictor:\n  kind: fixed\n  hint_weight: -0.25\n"),
            at("4:16") + "predictor.hint_weight: must be in [0, 1] (got -0.25)");
  EXPECT_EQ(error_of(m + "server: {tcp_port: 65536}\n"),
            at("2:20") + "server.tcp_port: must be in [-1, 65535] (got 65536)");
  EXPECT_EQ(error_of(m + "server: {http_port: -2}\n"),
            at("2:21") + "server.http_port: must be in [-1, 65535] (got -2)");
  EXPECT_EQ(error_of(m + "executors: 0\n"), at("2:12") + "executors: 0 needs workers to run the batches");
  EXPECT_TRUE(parse_deployment(m + "server: {tcp_port: -1, http_port: 0}\n", "d.yaml").ok());
}

// Issue 14, item 5: executors: 1024 aborted with std::bad_alloc, threads:
// 100000 hung the first request.
TEST_F(DeploymentLoader, ExecutorsThreadsAndBinsAreBounded) {
  const std::string m = "model: {dummy: x}\n";
  EXPECT_EQ(error_of(m + "executors: 1024\n"), at("2:12") + "executors: must be in [0, 256] (got 1024)");
  EXPECT_EQ(error_of(m + "backend: {device_memory_share: 0}\n"),
            at("2:32") + "backend.device_memory_share: must be in (0, 1] (got 0)");
  EXPECT_EQ(error_of(m + "backend: {device_memory_share: 1.5}\n"),
            at("2:32") + "backend.device_memory_share: must be in (0, 1] (got 1.5)");
  EXPECT_EQ(error_of(m + "backend: {threads: 100000}\n"),
            at("2:20") + "backend.threads: must be in [0, 1024] (got 100000)");
  EXPECT_EQ(error_of(m + "policy: {kind: multibin, bins: 1025}\n"),
            at("2:32") + "policy.bins: must be in [1, 1024] (got 1025)");
  auto c = parse_deployment(m + "executors: 256\nbackend: {threads: 1024}\npolicy: {bins: 1024}\n", "d.yaml");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->service.executors, 256);
  EXPECT_EQ(c->service.threads, 1024);
}

TEST_F(DeploymentLoader, ServerConnectionLimitsAndTimeouts) {
  const std::string m = "model: {dummy: x}\n";
  auto c = parse_deployment(m + "server: {max_connections_per_address: 8, first_request_timeout_ms: 250, "
                                "idle_timeout_s: 5, drain_timeout_s: 0.5}\n",
                            "d.yaml");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->server.max_connections_per_address, 8);
  EXPECT_EQ(c->server.first_request_timeout_ms, 250);
  EXPECT_EQ(c->server.idle_timeout_s, 5);
  EXPECT_EQ(c->server.drain_timeout_s, 0.5);
  EXPECT_TRUE(parse_deployment(m + "server: {drain_timeout_s: 0}\n", "d.yaml").ok());
  EXPECT_EQ(error_of(m + "server: {max_connections_per_address: 0}\n"),
            at("2:39") + "server.max_connections_per_address: must be >= 1 (got 0)");
  EXPECT_EQ(error_of(m + "server: {first_request_timeout_ms: 0}\n"),
            at("2:36") + "server.first_request_timeout_ms: must be >= 1 (got 0)");
  EXPECT_EQ(error_of(m + "server: {idle_timeout_s: 0}\n"), at("2:26") + "server.idle_timeout_s: must be >= 1 (got 0)");
  EXPECT_EQ(error_of(m + "server: {drain_timeout_s: -1}\n"),
            at("2:27") + "server.drain_timeout_s: must be in [0, 86400] (got -1)");
  EXPECT_EQ(error_of(m + "server: {drain_timeout_s: .nan}\n"),
            at("2:27") + "server.drain_timeout_s: must be in [0, 86400] (got nan)");
  EXPECT_EQ(error_of(m + "server: {drain_timeout_s: soon}\n"),
            at("2:27") + "server.drain_timeout_s: expected a number, got a scalar ('soon')");
}

TEST_F(DeploymentLoader, ChatTemplateIsTextOrAFileAndMustParse) {
  const std::string m = "model: {dummy: x}\n";
  auto inline_text =
      parse_deployment(m + "server: {chat_template: \"{{ messages[0].content }}\"}\n", (dir_ / "d.yaml").string());
  ASSERT_TRUE(inline_text.ok()) << inline_text.error().to_string();
  EXPECT_EQ(inline_text->server.chat_template, "{{ messages[0].content }}");
  write("templates/chatml.jinja", "{% for m in messages %}<|im_start|>{{ m.role }}\n{% endfor %}");
  auto file = parse_deployment(m + "server: {chat_template: templates/chatml.jinja}\n", (dir_ / "d.yaml").string());
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  EXPECT_EQ(file->server.chat_template, "{% for m in messages %}<|im_start|>{{ m.role }}\n{% endfor %}")
      << "a relative file is read from the deployment file's folder";
  const std::string missing = error_of(m + "server: {chat_template: nowhere.jinja}\n");
  EXPECT_NE(missing.find("server.chat_template: " + (dir_ / "nowhere.jinja").string() + " cannot be read"),
            std::string::npos)
      << missing;
  EXPECT_EQ(error_of(m + "server: {chat_template: \"{% include 'x' %}\"}\n"),
            at("2:25") +
                "server.chat_template: the chat template cannot be parsed: line 1: "
                "unsupported statement {% include %}");
  EXPECT_EQ(error_of(m + "server: {chat_template: \"{% if x %}open\"}\n"),
            at("2:25") +
                "server.chat_template: the chat template cannot be parsed: line 1: "
                "{% if %} is never closed");
}

TEST_F(DeploymentLoader, KindsMustBeKnownAndAreListed) {
  const std::string m = "model: {dummy: x}\n";
  EXPECT_EQ(error_of(m + "policy: {kind: foo}\n"),
            at("2:16") +
                "policy.kind: must be one of: vanilla, multibin, sequence, continuous, "
                "continuous-sjf, continuous-srpt (got 'foo')");
  EXPECT_EQ(error_of(m + "predictor: {kind: magic}\n"),
            at("2:19") +
                "predictor.kind: must be one of: oracle, fixed, prompt-ratio, learned, "
                "embedding, history (got 'magic')");
  EXPECT_EQ(error_of(m + "backend: {kind: tpu}\n"),
            at("2:17") + "backend.kind: must be one of: cpu, cuda, null (got 'tpu')");
  EXPECT_EQ(error_of(m + "policy: {retry: never}\n"),
            at("2:17") + "policy.retry: must be one of: restart, resume (got 'never')");
  EXPECT_EQ(error_of(m + "policy: {kv_admission: some}\n"),
            at("2:24") + "policy.kv_admission: must be one of: max, predicted (got 'some')");
  EXPECT_EQ(error_of(m + "logging: {level: loud}\n"),
            at("2:18") + "logging.level: must be one of: trace, debug, info, warn, error, off (got 'loud')");
}

TEST_F(DeploymentLoader, ModelNeedsExactlyOneOfPathAndDummy) {
  write("m.bin", "x");
  EXPECT_EQ(error_of("model: {dummy: x, path: m.bin}\n"),
            at("1:8") + "model: set exactly one of model.path and model.dummy, not both");
  EXPECT_EQ(error_of("model: {tokenizer: \"\"}\n"), at("1:8") + "model: set one of model.path and model.dummy");
  EXPECT_EQ(error_of("policy: {}\n"), at("1:1") + "model: required section is missing (set model.path or model.dummy)");
  EXPECT_EQ(error_of(""), at("1:1") + "model: required section is missing (set model.path or model.dummy)");
}

TEST_F(DeploymentLoader, ToYamlRoundTrips) {
  write("m.bin", "x");
  deployment_config c;
  c.service.model = (dir_ / "m.bin").string();
  c.service.stop_tokens = {1, 2};
  c.service.policy = {.kind = policy_kind::continuous_sjf,
                      .batch_size = 3,
                      .length_sample = {10, 20},
                      .max_wait = std::chrono::milliseconds(7),
                      .retry = retry_mode::resume,
                      .rebin = true,
                      .sjf_aging_per_s = 0.1};
  c.service.predictor.quantile = 0.37;
  c.service.predictor.ratio = 1.0 / 3;
  c.service.predictor.hint_weight = 0.25;
  c.service.predictor.probe_file = (dir_ / "m.bin").string();
  c.service.predictor.refresh_tokens = 4;
  c.server.auth_token = "123";
  c.server.max_connections_per_address = 3;
  c.server.first_request_timeout_ms = 1500;
  c.server.idle_timeout_s = 7;
  c.server.drain_timeout_s = 2.25;
  c.server.host = "true";
  c.logging.level = "off";
  c.service.step_trace = (dir_ / "steps.jsonl").string();
  c.service.workers = {{"10.0.0.2", 7171}, {"gpu-b", 7172}};
  c.service.limits.max_executor_failures = 5;
  c.service.faults.kill_executor_every_n_steps = 9;
  c.service.limits.batch_timeout_slack = 2.5;
  c.service.device_memory_share = 0.45;
  c.service.limits.batch_timeout_floor_ms = 1500;
  c.service.faults.stall_executor_after_n_steps = 4;
  c.service.faults.stall_ms = 250;
  c.service.faults.step_delay_ms = 3;
  const std::string text = to_yaml(c);
  auto back = parse_deployment(text, (dir_ / "again.yaml").string());
  ASSERT_TRUE(back.ok()) << back.error().to_string() << "\n" << text;
  EXPECT_EQ(to_yaml(*back), text);
  EXPECT_EQ(back->service.predictor.ratio, 1.0 / 3);
  EXPECT_EQ(back->service.predictor.hint_weight, 0.25);
  EXPECT_EQ(back->service.device_memory_share, 0.45);
  EXPECT_EQ(back->service.policy.length_sample, (std::vector<int>{10, 20}));
  EXPECT_TRUE(back->service.policy.rebin);
  EXPECT_EQ(back->server.auth_token, "123");
  EXPECT_EQ(back->server.host, "true");
  EXPECT_EQ(back->server.max_connections_per_address, 3);
  EXPECT_EQ(back->server.first_request_timeout_ms, 1500);
  EXPECT_EQ(back->server.idle_timeout_s, 7);
  EXPECT_EQ(back->server.drain_timeout_s, 2.25);
  ASSERT_EQ(back->service.workers.size(), 2u);
  EXPECT_EQ(back->service.workers[1].host, "gpu-b");
  EXPECT_EQ(back->service.workers[1].port, 7172);
  EXPECT_EQ(back->service.limits.max_executor_failures, 5);
  EXPECT_EQ(back->service.faults.kill_executor_every_n_steps, 9);
  EXPECT_EQ(back->service.limits.batch_timeout_slack, 2.5);
  EXPECT_EQ(back->service.limits.batch_timeout_floor_ms, 1500);
  EXPECT_EQ(back->service.faults.stall_executor_after_n_steps, 4);
  EXPECT_EQ(back->service.faults.stall_ms, 250);
  EXPECT_EQ(back->service.faults.step_delay_ms, 3);
}

TEST_F(DeploymentLoader, BatchTimeoutNeedsSlackOfAtLeastOneAndAPositiveFloor) {
  const std::string m = "model: {dummy: x}\n";
  auto c = parse_deployment(m + "limits: {batch_timeout_slack: 3, batch_timeout_floor_ms: 500}\n", "d.yaml");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->service.limits.batch_timeout_slack, 3.0);
  EXPECT_EQ(c->service.limits.batch_timeout_floor_ms, 500);
  EXPECT_EQ(parse_deployment(m, "d.yaml")->service.limits.batch_timeout_floor_ms, 30000);
  EXPECT_EQ(error_of(m + "limits: {batch_timeout_slack: 0.5}\n"),
            at("2:31") + "limits.batch_timeout_slack: must be >= 1 (got 0.5)");
  EXPECT_EQ(error_of(m + "limits: {batch_timeout_floor_ms: 0}\n"),
            at("2:34") + "limits.batch_timeout_floor_ms: must be >= 1 (got 0)");
  EXPECT_EQ(error_of(m + "faults: {stall_ms: -5}\n"), at("2:20") + "faults.stall_ms: must be >= 0 (got -5)");
}

TEST_F(DeploymentLoader, WorkersAreAListOfHostAndPort) {
  const std::string m = "model: {dummy: x}\n";
  auto c =
      parse_deployment(m + "executors: 0\nworkers:\n  - {host: 10.0.0.2, port: 7171}\n  - {port: 7172}\n", "d.yaml");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  ASSERT_EQ(c->service.workers.size(), 2u);
  EXPECT_EQ(c->service.workers[0].host, "10.0.0.2");
  EXPECT_EQ(c->service.workers[1].host, "127.0.0.1");
  EXPECT_EQ(c->service.workers[1].port, 7172);
  EXPECT_EQ(c->service.executors, 0);
  EXPECT_EQ(error_of(m + "workers: {host: a}\n"), at("2:10") + "workers: expected a list, got a map");
  EXPECT_EQ(error_of(m + "workers:\n  - {host: a}\n"),
            at("3:5") + "workers[0].port: required: the port the worker publishes on");
  EXPECT_EQ(error_of(m + "workers:\n  - {host: a, port: 0}\n"),
            at("3:21") + "workers[0].port: must be in [1, 65535] (got 0)");
  EXPECT_EQ(error_of(m + "workers:\n  - {host: a, prot: 1}\n"),
            at("3:15") + "workers[0].prot: unknown key; did you mean 'port'?");
  EXPECT_EQ(error_of(m + "faults: {kill_executor_every_n_steps: -1}\n"),
            at("2:39") + "faults.kill_executor_every_n_steps: must be >= 0 (got -1)");
}

TEST_F(DeploymentLoader, TruncationsNeverCrash) {
  write("m.bin", "x");
  const std::string text = to_yaml(*parse_deployment("model: {path: m.bin}\n", (dir_ / "d.yaml").string()));
  for (std::size_t n = 0; n <= text.size(); ++n) {
    auto c = parse_deployment(text.substr(0, n), (dir_ / "d.yaml").string());
    if (!c.ok()) {
      EXPECT_EQ(c.error().code(), error_code::config_invalid) << n;
    }
  }
}

TEST_F(DeploymentLoader, CliChecksAndPrints) {
  const std::string bad = write("bad.yaml", "model: {dummy: x}\npolicy: {batchsize: 3}\n");
  auto r = testing::run_binserve("config check " + bad);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find(bad + ":2:10: policy.batchsize: unknown key; did you mean 'batch_size'?"), std::string::npos)
      << r.out;
  r = testing::run_binserve("config check " + example("llama2-7b-gpu.yaml"));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("llama2-7b-gpu.yaml: ok"), std::string::npos) << r.out;
  r = testing::run_binserve("config print");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  const std::string printed = write("printed.yaml", r.out);
  EXPECT_TRUE(load_deployment(printed).ok()) << r.out;
}

}  // namespace
}  // namespace binserve
