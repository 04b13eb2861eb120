// Tests name policies as YAML and the command line do (and use the names in
// test names); this turns a name into its kind, failing the test when no
// policy has it.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "binserve/names.hpp"

namespace binserve::testing {

// A test parameterized by policy names: each name as a test name ("continuous-sjf": "continuoussjf").
inline std::string policy_test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  std::erase(name, '-');
  return name;
}

inline policy_kind policy_named(const std::string& name) {
  const auto kind = from_name<policy_kind>(name);
  EXPECT_TRUE(kind.has_value()) << "no policy is named '" << name << "'";
  return kind.value_or(policy_kind::vanilla);
}

}  // namespace binserve::testing
