// status_or: a value or an error, never neither.
#include <gtest/gtest.h>

#include "binserve/status.hpp"

namespace binserve {
namespace {

TEST(StatusOr, HoldsAValueOrAnError) {
  const status_or<int> value = 7;
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 7);
  const status_or<int> error = status(error_code::model_invalid, "m.gguf: truncated");
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().to_string(), "model_invalid: m.gguf: truncated");
}

TEST(StatusOr, MadeFromAnOkStatusIsAnInternalErrorNotNeither) {
  // Debug builds stop at the caller's bug; release builds carry it as an error.
  EXPECT_DEBUG_DEATH(
      {
        const status_or<int> bad = status::ok_status();
        EXPECT_FALSE(bad.ok());
        EXPECT_EQ(bad.error().code(), error_code::internal);
        EXPECT_NE(bad.error().message().find("ok status"), std::string::npos);
      },
      "status_or needs a value or an error");
}

}  // namespace
}  // namespace binserve
