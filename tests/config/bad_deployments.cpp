#include "tests/config/bad_deployments.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>

#include "tests/test_paths.hpp"

namespace binserve::testing {

namespace {

void write(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// The first `n` bytes of the file at `path`.
std::string head_of(const std::string& path, std::size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes(n, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(n));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

}  // namespace

void deployment_folder::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  dir_ = std::filesystem::temp_directory_path() /
         ("binserve_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" + info->name());
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
}

void deployment_folder::TearDown() { std::filesystem::remove_all(dir_); }

std::string deployment_folder::write_deployment(const std::string& yaml) const {
  std::ofstream(deployment_file()) << yaml;
  return deployment_file();
}

std::vector<bad_deployment> bad_deployments(const std::filesystem::path& dir) {
  const std::string m = "model: {dummy: stories260k}\n";
  write(dir / "not_a_model.bin", "this is not a model\n");
  write(dir / "garbage_predictor.bin", "not a predictor\n");
  std::vector<bad_deployment> cases = {
      {"a host that does not resolve", m + "server: {host: no-such-host.invalid}\n", "server.host",
       "no-such-host.invalid", "'no-such-host.invalid' does not resolve"},
      {"a host that is not this machine's", m + "server: {host: 192.0.2.1}\n", "server.host", "192.0.2.1",
       "cannot listen on '192.0.2.1'"},
      {"a file that is not a model", "model:\n  path: not_a_model.bin\n", "model.path", "not_a_model.bin",
       "does not load: model_invalid: "},
      {"a stop token outside the vocabulary", "model: {dummy: stories260k, stop_tokens: [2, 512]}\n",
       "model.stop_tokens[1]", "512", "token 512 is outside the vocabulary of dummy:stories260k (0 to 511)"},
      {"fp16 on the cpu backend", "model: {dummy: stories260k, dtype: fp16}\nbackend: {kind: cpu}\n", "model.dtype",
       "fp16", "the cpu backend computes in fp32, not fp16"},
      {"a step trace that cannot be opened", m + "logging: {step_trace: no/such/folder/steps.jsonl}\n",
       "logging.step_trace", "no/such/folder/steps.jsonl", "cannot open for appending"},
      {"a predictor file that does not load", m + "predictor: {kind: learned, model_file: garbage_predictor.bin}\n",
       "predictor.model_file", "garbage_predictor.bin", "does not load: "},
      {"a probe file that does not load", m + "predictor: {probe_file: garbage_predictor.bin}\n",
       "predictor.probe_file", "garbage_predictor.bin", "does not load: model_invalid: "},
  };
  if (has_shared("models/stories260K.bin") && has_shared("models/tok512.bin")) {
    write(dir / "truncated_tok.bin", head_of(shared_path("models/tok512.bin"), 1000));
    cases.push_back({"a tokenizer that does not fit the model",
                     "model:\n  path: " + shared_path("models/stories260K.bin") + "\n  tokenizer: truncated_tok.bin\n",
                     "model.tokenizer", "truncated_tok.bin", "file is truncated at token"});
  } else {
    std::cerr << "bad_deployments: the wrong-tokenizer case is left out: " << shared_path("models")
              << " lacks stories260K.bin or tok512.bin\n";
  }
  return cases;
}

std::string position_of(const std::string& text, const std::string& needle) {
  const std::size_t at = text.find(needle);
  if (at == std::string::npos) return "?:?";
  const std::size_t line_start = text.rfind('\n', at);
  const std::size_t column = line_start == std::string::npos ? at : at - line_start - 1;
  const std::size_t line = 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + at, '\n'));
  return std::to_string(line) + ":" + std::to_string(column + 1);
}

}  // namespace binserve::testing
