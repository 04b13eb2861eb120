// validate_scheduling: the bounds of a job's priority and length hint, each
// refusal naming its field (the HTTP server maps the name to its `param`).
#include "actors/job_check.hpp"

#include <gtest/gtest.h>

namespace binserve {
namespace {

job with(int priority, int length_hint, int max_new_tokens = 64) {
  job j;
  j.priority = priority;
  j.length_hint = length_hint;
  j.gen.max_new_tokens = max_new_tokens;
  return j;
}

// The message must begin with `field` (openai::to_api_error reads it).
void expect_refused(const job& j, const std::string& field) {
  const status s = validate_scheduling(j);
  ASSERT_FALSE(s.ok()) << field;
  EXPECT_EQ(s.code(), error_code::invalid_argument);
  EXPECT_EQ(s.message().rfind(field, 0), 0u) << s.to_string();
}

TEST(ValidateScheduling, PriorityIsBoundedOnBothSides) {
  EXPECT_TRUE(validate_scheduling(with(kMinPriority, 0)).ok());
  EXPECT_TRUE(validate_scheduling(with(kMaxPriority, 0)).ok());
  EXPECT_TRUE(validate_scheduling(with(0, 0)).ok());
  expect_refused(with(kMaxPriority + 1, 0), "priority");
  expect_refused(with(kMinPriority - 1, 0), "priority");
  EXPECT_EQ(kMinPriority, -1000);
  EXPECT_EQ(kMaxPriority, 1000);
}

TEST(ValidateScheduling, LengthHintIsNoneOrWithinMaxNewTokens) {
  EXPECT_TRUE(validate_scheduling(with(0, 0)).ok());
  EXPECT_TRUE(validate_scheduling(with(0, 1)).ok());
  EXPECT_TRUE(validate_scheduling(with(0, 64)).ok());
  expect_refused(with(0, 65), "length_hint");
  expect_refused(with(0, -1), "length_hint");
  EXPECT_NE(validate_scheduling(with(0, 65)).message().find("64"), std::string::npos);
}

}  // namespace
}  // namespace binserve
