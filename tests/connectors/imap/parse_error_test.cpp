// Grammar errors are values with the raw text and the offset, identical however the bytes arrive;
// limits stop hostile nesting and part counts.
#include <gtest/gtest.h>

#include "grind.hpp"
#include "imap/bodystructure.hpp"

namespace mailprune::imap::test {
namespace {

struct ErrorRow {
  std::string name;
  std::string wire;
  std::size_t offset;
  std::string message;
};

std::string error_row_name(const ::testing::TestParamInfo<ErrorRow>& row) {
  std::string name = row.param.name;
  for (char& c : name) c = c == '-' ? '_' : c;
  return name;
}

class ParseErrorTable : public ::testing::TestWithParam<ErrorRow> {};

TEST_P(ParseErrorTable, ReportsOffset) {
  const ErrorRow& row = GetParam();
  const GrindResult run = grind(row.wire);
  ASSERT_EQ(run.parsed.size(), 1u) << run.summary();
  ASSERT_FALSE(run.parsed[0]) << run.summary();
  const ParseError& error = run.parsed[0].error();
  EXPECT_EQ(error.offset, row.offset) << error.message;
  EXPECT_EQ(error.message, row.message);
  // raw is the response text without its CRLF.
  EXPECT_EQ(error.raw + "\r\n", row.wire);
}

INSTANTIATE_TEST_SUITE_P(
    Errors, ParseErrorTable,
    ::testing::Values(
        ErrorRow{"unterminated-quoted", "* LIST () \"/\" \"INBOX\r\n", 14, "unterminated quoted string"},
        ErrorRow{"uid-not-a-number", "* 1 FETCH (UID abc)\r\n", 15, "expected a number"},
        ErrorRow{"uid-overflow", "* 1 FETCH (UID 4294967296)\r\n", 15, "UID does not fit in 32 bits"},
        ErrorRow{"fetch-unterminated", "* 1 FETCH (UID 4\r\n", 16, "unterminated FETCH list"},
        ErrorRow{"exists-overflow", "* 99999999999 EXISTS\r\n", 2, "number does not fit in 32 bits"},
        ErrorRow{"tagged-unknown-condition", "A1 MAYBE done\r\n", 3, "expected OK, NO, BAD or BYE after the tag"},
        ErrorRow{"trailing-garbage", "* 3 EXISTS junk\r\n", 10, "unexpected data at the end of the response"},
        ErrorRow{"unterminated-code", "* OK [UIDNEXT 5 no end\r\n", 5, "unterminated response code"},
        ErrorRow{"empty-line", "\r\n", 0, "expected an atom"}),
    error_row_name);

std::string nested(std::size_t depth) {
  std::string body(depth, '(');
  body += "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)";
  for (std::size_t i = 0; i < depth; ++i) body += " \"mixed\")";
  return body;
}

TEST(ImapParserLimits, NestingWithinLimitParses) {
  ParserLimits limits;
  limits.max_nesting = 20;
  const auto parsed = parse_body_structure(nested(18), limits);
  ASSERT_TRUE(parsed) << parsed.error().message;
  const mime::MimePart* part = &parsed.value();
  for (int i = 0; i < 18; ++i) part = &part->children.at(0);
  EXPECT_EQ(part->subtype, "plain");
  EXPECT_EQ(part->section, "1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1");
}

TEST(ImapParserLimits, DeepNestingIsAnErrorNotACrash) {
  const std::string wire = "* 1 FETCH (UID 1 BODYSTRUCTURE " + nested(100000) + ")\r\n";
  const auto parsed = parse_response_text(wire);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "nesting deeper than max_nesting");
  EXPECT_EQ(parsed.error().raw.size(), 8192u);  // capped
}

TEST(ImapParserLimits, TooManyPartsIsAnError) {
  std::string body;
  for (int i = 0; i < 50; ++i) body += "(\"image\" \"png\" NIL NIL NIL \"base64\" 10 NIL NIL NIL NIL)";
  body = "(" + body + " \"mixed\")";
  ParserLimits limits;
  limits.max_body_parts = 40;
  const auto parsed = parse_body_structure(body, limits);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "more MIME parts than max_body_parts");
  limits.max_body_parts = 51;
  EXPECT_TRUE(parse_body_structure(body, limits));
}

TEST(ImapParserLimits, TooManyFetchItems) {
  std::string wire = "* 1 FETCH (";
  for (int i = 0; i < 10; ++i) wire += "UID 1 ";
  wire += ")\r\n";
  ParserLimits limits;
  limits.max_fetch_items = 9;
  Framer framer;
  ASSERT_EQ(framer.feed(wire).status, FrameStatus::complete);
  const FramedResponse framed = framer.take();
  EXPECT_FALSE(parse_response(framed, limits));
  limits.max_fetch_items = 10;
  EXPECT_TRUE(parse_response(framed, limits));
}

TEST(ImapParserLimits, StreamedLiteralWhereAStringIsNeededIsAnError) {
  // A subject is never streamed on purpose; if a threshold makes it so, it is an error, not junk.
  FramerLimits limits;
  limits.stream_literals_above = 4;
  Framer framer(limits, [](const LiteralChunk&) {});
  const std::string wire = "* 1 FETCH (ENVELOPE (NIL {10}\r\n0123456789 NIL NIL NIL NIL NIL NIL NIL NIL))\r\n";
  ASSERT_EQ(framer.feed(wire).status, FrameStatus::complete);
  const auto parsed = parse_response(framer.take());
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "streamed literal where a string was expected");
}

TEST(ImapEnvelope, ParsesGroupSyntaxAndShortLists) {
  const auto envelope =
      parse_envelope("(\"d\" \"s\" ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL)");
  ASSERT_TRUE(envelope) << envelope.error().message;
  ASSERT_EQ(envelope->from.size(), 2u);
  EXPECT_EQ(envelope->from[0].mailbox, "undisclosed-recipients");
  EXPECT_FALSE(envelope->from[0].host);
  EXPECT_FALSE(envelope->message_id);
}

}  // namespace
}  // namespace mailprune::imap::test
