// Deployment files the schema accepts and `serve` used to refuse only at
// start (issue 14, item 11), for the tests of the shared validation: through
// check_deployment (tests/config) and through `binserve config check` and
// `binserve serve` (tests/tools).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace binserve::testing {

// A fixture with a fresh folder for each test (removed after it), and a
// deployment file d.yaml in it.
class deployment_folder : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Writes `yaml` to d.yaml; returns its path.
  std::string write_deployment(const std::string& yaml) const;
  std::string deployment_file() const { return (dir_ / "d.yaml").string(); }

  std::filesystem::path dir_;
};

struct bad_deployment {
  std::string name;   // what is wrong, for messages
  std::string yaml;   // the file's text
  std::string key;    // the key path its error must name
  std::string value;  // the text in `yaml` the error points at (its first occurrence)
  std::string what;   // a part of the message that says what is wrong
};

// The cases, with the files they refer to written into `dir` (relative
// names in `yaml` resolve there). The wrong-tokenizer case needs
// ../shared/models and is left out, saying so on stderr, without them.
std::vector<bad_deployment> bad_deployments(const std::filesystem::path& dir);

// "LINE:COL" (1-based) of the first occurrence of `needle` in `text`.
std::string position_of(const std::string& text, const std::string& needle);

}  // namespace binserve::testing
