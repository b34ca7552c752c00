// Charset conversion and the raw-bytes rule of INVENTORY.md (rule 5, last step).
#include "mime/charset.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mailprune::mime {
namespace {

struct Utf8Case {
  const char* name;
  std::string bytes;
  bool valid;
};

const std::vector<Utf8Case> utf8_cases = {
    {"ascii", "report.pdf", true},
    {"two-byte", "r\xC3\xA9sum\xC3\xA9", true},
    {"three-byte-euro", "\xE2\x82\xAC", true},
    {"four-byte-emoji", "\xF0\x9F\x93\x8E", true},
    {"latin1-e-acute", "r\xE9sum\xE9", false},
    {"overlong-slash", "\xC0\xAF", false},
    {"overlong-three-byte", "\xE0\x80\xAF", false},
    {"surrogate", "\xED\xA0\x80", false},
    {"above-max", "\xF4\x90\x80\x80", false},
    {"truncated-sequence", "\xE2\x82", false},
    {"lone-continuation", "\x80", false},
    {"empty", "", true},
};

TEST(Charset, ValidUtf8Table) {
  for (const Utf8Case& row : utf8_cases) {
    EXPECT_EQ(is_valid_utf8(row.bytes), row.valid) << row.name;
  }
}

struct ConvertCase {
  const char* name;
  std::string bytes;
  std::string charset;
  std::string expected;
  bool exact;
};

const std::vector<ConvertCase> convert_cases = {
    {"utf8-as-is", "caf\xC3\xA9", "UTF-8", "caf\xC3\xA9", true},
    {"utf8-alias-utf8", "caf\xC3\xA9", "utf8", "caf\xC3\xA9", true},
    {"latin1-named", "caf\xE9", "ISO-8859-1", "caf\xC3\xA9", true},
    {"latin1-alias", "caf\xE9", "latin1", "caf\xC3\xA9", true},
    {"quoted-charset-name", "caf\xE9", "\"iso-8859-1\"", "caf\xC3\xA9", true},
    {"rfc2231-language-suffix", "caf\xE9", "iso-8859-1*fr", "caf\xC3\xA9", true},
    {"windows-1252-euro", "\x80 5", "windows-1252", "\xE2\x82\xAC 5", true},
    {"iso-8859-15-euro", "\xA4", "ISO-8859-15", "\xE2\x82\xAC", true},
    {"koi8-r", "\xF0\xD2\xC9\xD7\xC5\xD4", "koi8-r", "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82", true},
    {"outlook-ks_c_5601-1987-korean", "\xC7\xD1", "ks_c_5601-1987", "\xED\x95\x9C", true},
    {"gb2312-label-on-gbk-text", "\xD6\xD0", "gb2312", "\xE4\xB8\xAD", true},
    {"shift-jis", "\x93\xFA", "Shift_JIS", "\xE6\x97\xA5", true},
    {"unknown-charset-utf8-bytes", "caf\xC3\xA9", "x-bogus-charset", "caf\xC3\xA9", false},
    {"unknown-charset-latin1-bytes", "caf\xE9", "x-bogus-charset", "caf\xC3\xA9", false},
    {"us-ascii-label-on-8bit", "caf\xE9", "us-ascii", "caf\xC3\xA9", true},
    {"empty-charset", "caf\xC3\xA9", "", "caf\xC3\xA9", true},
    {"utf8-label-invalid-bytes", "caf\xE9!", "utf-8", "caf\xEF\xBF\xBD!", false},
    {"utf8-label-truncated", "a\xE2\x82", "utf-8", "a\xEF\xBF\xBD\xEF\xBF\xBD", false},
    {"shift-jis-truncated-lead-byte", "a\x93", "shift_jis", "a\xEF\xBF\xBD", false},
};

TEST(Charset, ConvertTable) {
  for (const ConvertCase& row : convert_cases) {
    const CharsetConversion converted = convert_to_utf8(row.bytes, row.charset);
    EXPECT_EQ(converted.text, row.expected) << row.name;
    EXPECT_EQ(converted.exact, row.exact) << row.name;
    EXPECT_TRUE(is_valid_utf8(converted.text)) << row.name;
  }
}

TEST(Charset, BytesToUtf8KeepsUtf8ElseLatin1) {
  EXPECT_EQ(bytes_to_utf8("plain"), "plain");
  EXPECT_EQ(bytes_to_utf8("\xC3\xA9t\xC3\xA9"), "\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(bytes_to_utf8("\xE9t\xE9"), "\xC3\xA9t\xC3\xA9");
  // One invalid byte anywhere makes the whole string Latin-1 (no mixing within a string).
  EXPECT_EQ(bytes_to_utf8("\xC3\xA9\xE9"), "\xC3\x83\xC2\xA9\xC3\xA9");
}

TEST(Charset, EveryByteValueGivesValidUtf8) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_TRUE(is_valid_utf8(bytes_to_utf8(all)));
  for (const char* charset :
       {"utf-8", "iso-8859-1", "windows-1252", "shift_jis", "big5", "koi8-r", "iso-2022-jp", "utf-16", "x-bogus"}) {
    EXPECT_TRUE(is_valid_utf8(convert_to_utf8(all, charset).text)) << charset;
  }
}

}  // namespace
}  // namespace mailprune::mime
