// The shared deployment validation (config/deployment_check.hpp): each file
// `serve` used to refuse only at start is refused before, naming FILE:LINE:COL
// and the key; what serve accepts it accepts; and its backend rules agree
// with make_backend's.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "binserve/names.hpp"
#include "config/deployment_check.hpp"
#include "gpu/backend.hpp"
#include "gpu/gguf_writer.hpp"
#include "tests/config/bad_deployments.hpp"
#include "tests/gpu/tiny_model.hpp"
#include "tests/test_paths.hpp"

namespace binserve {
namespace {

namespace fs = std::filesystem;

class DeploymentCheck : public testing::deployment_folder {
 protected:
  // load_checked_deployment of `yaml` written to d.yaml.
  status_or<deployment_config> check(const std::string& yaml) {
    return load_checked_deployment(write_deployment(yaml));
  }

  // The config_invalid message of `yaml` (fails the test when it passes).
  std::string error_of(const std::string& yaml) {
    auto c = check(yaml);
    EXPECT_FALSE(c.ok()) << yaml;
    if (c.ok()) return "";
    EXPECT_EQ(c.error().code(), error_code::config_invalid) << c.error().to_string();
    return c.error().message();
  }

  // "d.yaml:LINE:COL: KEY: " where LINE:COL is `value` in `yaml`.
  std::string at(const std::string& yaml, const std::string& value, const std::string& key) {
    return deployment_file() + ":" + testing::position_of(yaml, value) + ": " + key + ": ";
  }
};

TEST_F(DeploymentCheck, EachFileServeRefusedIsRefusedWithFileLineAndKey) {
  for (const testing::bad_deployment& b : testing::bad_deployments(dir_)) {
    const std::string message = error_of(b.yaml);
    EXPECT_EQ(message.rfind(at(b.yaml, b.value, b.key), 0), 0u) << b.name << ": " << message;
    EXPECT_NE(message.find(b.what), std::string::npos) << b.name << ": " << message;
  }
}

// serve loads the model once: the check's load, with the file's stop tokens
// applied as load_model applies them, is the one the service serves.
TEST_F(DeploymentCheck, TheCheckedDeploymentCarriesTheModelItLoaded) {
  auto d = check("model: {dummy: stories260k, stop_tokens: [5, 7]}\n");
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  ASSERT_NE(d->service.loaded, nullptr);
  EXPECT_EQ(d->service.loaded->stop_tokens, (std::vector<int>{5, 7}));
  auto plain = check("model: {dummy: stories260k}\n");
  ASSERT_TRUE(plain.ok()) << plain.error().to_string();
  ASSERT_NE(plain->service.loaded, nullptr);
  EXPECT_EQ(plain->service.loaded->stop_tokens, load_model("dummy:stories260k")->stop_tokens);
  EXPECT_EQ(plain->service.loaded->config.dim, load_model("dummy:stories260k")->config.dim);
}

TEST_F(DeploymentCheck, AHostNothingListensOnIsNotChecked) {
  // serve starts no server then, and never resolves the host.
  EXPECT_TRUE(check("model: {dummy: stories260k}\nserver: {host: no-such-host.invalid, tcp_port: -1, "
                    "http_port: -1}\n")
                  .ok());
  EXPECT_TRUE(check("model: {dummy: stories260k}\nserver: {host: localhost, tcp_port: 0}\n").ok());
}

TEST_F(DeploymentCheck, AMissingTokenizerBesideTheModelNamesModelTokenizerAtTheModel) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  fs::copy_file(testing::shared_path("models/stories260K.bin"), dir_ / "alone.bin");
  const std::string yaml = "model:\n  path: alone.bin\n";
  const std::string message = error_of(yaml);
  // No model.tokenizer key: the error points at the model section.
  EXPECT_EQ(message.rfind(at(yaml, "path", "model.tokenizer"), 0), 0u) << message;
  EXPECT_NE(message.find("tokenizer.bin: cannot open"), std::string::npos) << message;
  fs::copy_file(testing::shared_path("models/tok512.bin"), dir_ / "tok512.bin");
  EXPECT_TRUE(check(yaml).ok());
}

TEST_F(DeploymentCheck, StopTokensAreCheckedAsTheLoaderChecksThem) {
  for (const int token : {511, 512}) {
    const bool loads = load_model("dummy:stories260k", model_options{"", {token}, "auto"}).ok();
    const bool passes = check("model: {dummy: stories260k, stop_tokens: [" + std::to_string(token) + "]}\n").ok();
    EXPECT_EQ(passes, loads) << token;
  }
}

TEST_F(DeploymentCheck, HalfPrecisionPassesWhereTheBackendTakesIt) {
  // null computes nothing; cuda is not created (a GPU file validates anywhere).
  EXPECT_TRUE(check("model: {dummy: stories260k, dtype: fp16}\nbackend: {kind: \"null\"}\n").ok());
  EXPECT_TRUE(check("model: {dummy: stories260k, dtype: bf16}\nbackend: {kind: cuda}\n").ok());
  // No local executor: serve creates no backend, so nothing refuses the dtype.
  EXPECT_TRUE(check("model: {dummy: stories260k, dtype: fp16}\nexecutors: 0\nworkers: [{port: 7171}]\n").ok());
  const std::string bf16 = "model: {dummy: stories260k, dtype: bf16}\n";
  EXPECT_EQ(error_of(bf16).rfind(at(bf16, "bf16", "model.dtype"), 0), 0u);
}

TEST_F(DeploymentCheck, StepTraceCheckTruncatesNothingAndLeavesNothing) {
  const std::string m = "model: {dummy: stories260k}\n";
  ASSERT_TRUE(check(m + "logging: {step_trace: new.jsonl}\n").ok());
  EXPECT_FALSE(fs::exists(dir_ / "new.jsonl"));
  std::ofstream(dir_ / "old.jsonl") << "{\"executor\": 0}\n";
  ASSERT_TRUE(check(m + "logging: {step_trace: old.jsonl}\n").ok());
  EXPECT_EQ(fs::file_size(dir_ / "old.jsonl"), 16u);
  const std::string folder = m + "logging: {step_trace: " + dir_.string() + "}\n";
  EXPECT_EQ(error_of(folder).rfind(at(folder, dir_.string(), "logging.step_trace"), 0), 0u);
}

TEST_F(DeploymentCheck, PredictorFilesLoadOnlyForTheKindsThatReadThem) {
  std::ofstream(dir_ / "p.bin") << "not a predictor\n";
  const std::string m = "model: {dummy: stories260k}\n";
  EXPECT_TRUE(check(m + "predictor: {kind: fixed, model_file: p.bin}\n").ok());  // serve ignores it
  for (const std::string kind : {"{kind: embedding", "{kind: history, fallback: learned"}) {
    const std::string yaml = m + "predictor: " + kind + ", model_file: p.bin}\n";
    EXPECT_EQ(error_of(yaml).rfind(at(yaml, "p.bin", "predictor.model_file"), 0), 0u) << kind;
  }
}

TEST_F(DeploymentCheck, ExecutorsWhoseCachesTogetherExceedMemoryNameExecutors) {
  const std::int64_t quarter = host_memory_bytes() / 4;
  const std::string kv = "model: {dummy: stories260k}\nbackend: {kv_cache_bytes: " + std::to_string(quarter) + "}\n";
  EXPECT_TRUE(check(kv + "executors: 2\n").ok());
  const std::string eight = "executors: 8\n" + kv;
  const std::string message = error_of(eight);
  EXPECT_EQ(message.rfind(at(eight, "8", "executors"), 0), 0u) << message;
  EXPECT_NE(message.find("8 CPU executors of "), std::string::npos) << message;
  // The null backend allocates no cache: the same budget fits.
  EXPECT_TRUE(check("model: {dummy: stories260k}\nbackend: {kind: \"null\", kv_cache_bytes: " +
                    std::to_string(quarter) + "}\nexecutors: 8\n")
                  .ok());
}

// check_backend_fit (config/backend_fit.hpp) restates what make_backend
// refuses before it allocates; it must agree with make_backend case by case.
TEST_F(DeploymentCheck, BackendRulesAgreeWithMakeBackend) {
  const std::string tiny = (dir_ / "tiny.gguf").string();  // a 7-token vocabulary, 8 positions
  ASSERT_TRUE(testing::write_file(tiny, gguf::llama_gguf(testing::tiny_model(true, 1, 8)).bytes()));
  struct row {
    std::string model, kind, dtype;
    std::int64_t kv_cache_bytes;
  };
  const std::int64_t host = host_memory_bytes();
  const std::vector<row> rows = {
      {"dummy:stories260k", "cpu", "fp32", 0},
      {"dummy:stories260k", "cpu", "fp16", 0},
      {"dummy:stories260k", "cpu", "bf16", 0},
      {"dummy:stories260k", "null", "fp16", 0},
      {"dummy:stories260k", "cpu", "fp32", 1},
      {"dummy:stories260k", "null", "fp32", 1},
      {"dummy:stories260k", "cpu", "fp32", 20480},
      {"dummy:stories260k", "cpu", "fp32", 20479},
      {"dummy:stories260k", "cpu", "fp32", host},
      {"dummy:stories260k", "cpu", "fp32", host / 20 * 19},
      {"dummy:stories260k", "cpu", "fp32", 1 << 26},
      {tiny, "null", "fp32", 0},
      {tiny, "cpu", "fp32", 0},
      {tiny, "cpu", "fp32", host},
  };
  for (const row& r : rows) {
    auto m = load_model(r.model);
    ASSERT_TRUE(m.ok()) << m.error().to_string();
    const auto made = make_backend(std::make_shared<const model>(std::move(*m)),
                                   backend_options{.kind = from_name<backend_kind>(r.kind).value(),
                                                   .dtype = from_name<data_type>(r.dtype).value(),
                                                   .kv_cache_bytes = r.kv_cache_bytes});
    const std::string model_key = r.model.starts_with("dummy:") ? "dummy: " + r.model.substr(6) : "path: " + r.model;
    const auto checked = check("model: {" + model_key + ", dtype: " + r.dtype + "}\nbackend: {kind: \"" + r.kind +
                               "\", kv_cache_bytes: " + std::to_string(r.kv_cache_bytes) + "}\n");
    EXPECT_EQ(checked.ok(), made.ok()) << r.model << " " << r.kind << " " << r.dtype << " kv " << r.kv_cache_bytes
                                       << ": make_backend " << (made.ok() ? "ok" : made.error().to_string())
                                       << "; check " << (checked.ok() ? "ok" : checked.error().to_string());
  }
}

}  // namespace
}  // namespace binserve
