// Tests name policies as YAML and the command line do (and use the names in
// test names); this turns a name into its kind, failing the test when no
// policy has it.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "binserve/names.hpp"

namespace binserve::testing {

inline policy_kind policy_named(const std::string& name) {
  const auto kind = from_name<policy_kind>(name);
  EXPECT_TRUE(kind.has_value()) << "no policy is named '" << name << "'";
  return kind.value_or(policy_kind::vanilla);
}

}  // namespace binserve::testing
