// Stop strings: the matcher sees a sequence's text token by token, so a
// stop string may span tokens, begin or end inside one; only a match that
// ends in the newest piece is new. stop_string_cut and stop_string_pending
// are what the intake and the streaming front ends cut and hold back.
#include "gpu/stop_strings.hpp"

#include <gtest/gtest.h>

namespace binserve {
namespace {

TEST(StopStringMatcher, FindsAStringSpanningSeveralTokens) {
  stop_string_matcher m({"the end"});
  EXPECT_FALSE(m.append("and th"));
  EXPECT_FALSE(m.append("e e"));
  EXPECT_FALSE(m.append("n"));
  EXPECT_TRUE(m.append("d!"));
}

TEST(StopStringMatcher, FindsAStringBeginningOrEndingInsideAToken) {
  stop_string_matcher begins({"cat"});
  EXPECT_FALSE(begins.append("the sca"));  // starts inside this token
  EXPECT_TRUE(begins.append("t"));
  stop_string_matcher inside({"cat"});
  EXPECT_TRUE(inside.append("a cats nap"));  // begins and ends inside one token
}

TEST(StopStringMatcher, ReportsOnlyMatchesThatEndInTheNewPiece) {
  // The longest stop string keeps 5 bytes of history, which still hold the
  // first "ab": it must not be reported again.
  stop_string_matcher m({"ab", "abcdef"});
  EXPECT_TRUE(m.append("ab"));
  EXPECT_FALSE(m.append("c"));
  EXPECT_FALSE(m.append("d"));
  EXPECT_TRUE(m.append("ef"));  // "abcdef" ends here
  EXPECT_FALSE(m.append("x"));
  EXPECT_TRUE(m.append("xab"));
}

TEST(StopStringMatcher, AnyOfSeveralStringsAndEmptyPieces) {
  stop_string_matcher m({"\n\n", "END"});
  EXPECT_FALSE(m.append(""));
  EXPECT_FALSE(m.append("line\n"));
  EXPECT_FALSE(m.append(""));
  EXPECT_TRUE(m.append("\nmore"));
  stop_string_matcher none({});
  EXPECT_FALSE(none.append("anything"));
}

TEST(StopStringMatcher, MatchesBytesInsideAUtf8Character) {
  const std::string e_acute = "\xc3\xa9";  // é, split over two byte tokens
  stop_string_matcher m({"caf" + e_acute});
  EXPECT_FALSE(m.append("caf\xc3"));
  EXPECT_TRUE(m.append("\xa9"));
}

TEST(StopStringCut, CutsBeforeTheEarliestStopString) {
  EXPECT_EQ(stop_string_cut("hello world. bye", {"bye", "."}), 11u);
  EXPECT_EQ(stop_string_cut("hello world. bye", {"o"}), 4u);
  EXPECT_EQ(stop_string_cut("hello", {"xyz"}), 5u);
  EXPECT_EQ(stop_string_cut("hello", {}), 5u);
  EXPECT_EQ(stop_string_cut("stop", {"stop"}), 0u);
}

TEST(StopStringPending, HoldsTheLongestSuffixThatStartsAStopString) {
  EXPECT_EQ(stop_string_pending("a cat wo", {"world"}), 2u);
  EXPECT_EQ(stop_string_pending("a cat wo", {"world", "o"}), 2u);
  EXPECT_EQ(stop_string_pending("a cat", {"world"}), 0u);
  EXPECT_EQ(stop_string_pending("ww", {"wwx"}), 2u);
  EXPECT_EQ(stop_string_pending("w", {"wwx"}), 1u);        // text shorter than the prefix
  EXPECT_EQ(stop_string_pending("world", {"world"}), 0u);  // a whole match is not pending
  EXPECT_EQ(stop_string_pending("", {"x"}), 0u);
}

}  // namespace
}  // namespace binserve
