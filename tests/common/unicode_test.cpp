// The lossy UTF-8 repair used for strings the host builds from bytes it does not control.
#include "common/unicode.hpp"

#include <gtest/gtest.h>

namespace actr::unicode {
namespace {

TEST(ToValidUtf8, KeepsValidTextAndReplacesEachMaximalInvalidSubpart) {
  EXPECT_EQ(to_valid_utf8("plain ascii"), "plain ascii");
  EXPECT_EQ(to_valid_utf8("grüß ✓ 😀"), "grüß ✓ 😀");
  EXPECT_EQ(to_valid_utf8("\xff"), "\uFFFD");
  EXPECT_EQ(to_valid_utf8("a\xff\xfe" "b"), "a\uFFFD\uFFFDb");
  EXPECT_EQ(to_valid_utf8("\xe2\x9c"), "\uFFFD");             // a truncated sequence is one
  EXPECT_EQ(to_valid_utf8("\xe2\x9c" "x"), "\uFFFDx");
  EXPECT_EQ(to_valid_utf8("\xed\xa0\x80"), "\uFFFD\uFFFD\uFFFD");  // a surrogate: 3 subparts
  EXPECT_EQ(to_valid_utf8("\xc0\xaf"), "\uFFFD\uFFFD");          // an overlong
  EXPECT_EQ(to_valid_utf8(std::string("\0x", 2)), std::string("\0x", 2));
  for (int b = 0; b < 256; ++b) {
    std::string one(1, static_cast<char>(b));
    EXPECT_TRUE(validate_utf8(to_valid_utf8(one))) << b;
    EXPECT_TRUE(validate_utf8(to_valid_utf8(one + "\x80" + one + "\xbf"))) << b;
  }
}

}  // namespace
}  // namespace actr::unicode
