// The framer on its own: several responses per read, literal forms, limits and error values.
#include <gtest/gtest.h>

#include "grind.hpp"

namespace mailprune::imap::test {
namespace {

TEST(ImapFramer, SeveralResponsesInOneRead) {
  const std::string wire = "* 2 EXISTS\r\n* 0 RECENT\r\nA1 OK done\r\n";
  Framer framer;
  FeedResult r = framer.feed(wire);
  EXPECT_EQ(r.status, FrameStatus::complete);
  EXPECT_EQ(r.consumed, 12u);
  // Until take(), nothing more is consumed.
  EXPECT_EQ(framer.feed(std::string_view(wire).substr(12)).consumed, 0u);
  EXPECT_EQ(framer.take().text, "* 2 EXISTS");
  r = framer.feed(std::string_view(wire).substr(12));
  EXPECT_EQ(r.consumed, 12u);
  EXPECT_EQ(framer.take().text, "* 0 RECENT");
  EXPECT_EQ(framer.total_consumed(), 24u);
  const GrindResult run = grind(wire);
  EXPECT_EQ(run.described.size(), 3u);
  EXPECT_FALSE(run.incomplete);
}

TEST(ImapFramer, LiteralPositionsAndForms) {
  // `{n+}` is client syntax but tolerated; `~{n}` is binary; `{0}` is empty.
  const std::string wire = "* 1 FETCH (BODY[1] {3+}\r\nabc BINARY[2] ~{2}\r\nxy BODY[3] {0}\r\n)\r\n";
  Framer framer;
  ASSERT_EQ(framer.feed(wire).status, FrameStatus::complete);
  const FramedResponse framed = framer.take();
  EXPECT_EQ(framed.text, "* 1 FETCH (BODY[1] {3+} BINARY[2] ~{2} BODY[3] {0})");
  ASSERT_EQ(framed.literals.size(), 3u);
  EXPECT_EQ(framed.literals[0].data, "abc");
  EXPECT_EQ(framed.literals[0].header_begin, 19u);
  EXPECT_EQ(framed.literals[0].position, 23u);
  EXPECT_TRUE(framed.literals[1].binary);
  EXPECT_EQ(framed.literals[1].header_begin, framed.text.find("~{2}"));
  EXPECT_EQ(framed.literals[2].size, 0u);
  const GrindResult run = grind(wire);
  ASSERT_EQ(run.parsed.size(), 1u);
  ASSERT_TRUE(run.parsed[0]) << run.summary();
  const auto& fetch = std::get<FetchMessage>(run.parsed[0].value());
  EXPECT_EQ(fetch.body("1")->data, "abc");
  EXPECT_EQ(fetch.binary("2")->data, "xy");
  EXPECT_EQ(fetch.body("3")->data, "");
}

TEST(ImapFramer, LiteralDataThatLooksLikeAMarkerIsData) {
  const std::string data = "line {5}\r\nnot a literal )\r\n";
  const std::string wire = "* 1 FETCH (BODY[] {" + std::to_string(data.size()) + "}\r\n" + data + ")\r\n";
  const GrindResult run = grind(wire);
  ASSERT_EQ(run.parsed.size(), 1u);
  EXPECT_EQ(std::get<FetchMessage>(run.parsed[0].value()).body("")->data, data);
}

TEST(ImapFramer, LineTooLongIsAValueWithRawAndOffset) {
  FramerLimits limits;
  limits.max_line_length = 16;
  const std::string wire = "* OK this line is far too long\r\n";
  Framer framer(limits);
  const FeedResult result = framer.feed(wire);
  EXPECT_EQ(result.status, FrameStatus::error);
  ASSERT_NE(framer.error(), nullptr);
  EXPECT_EQ(framer.error()->kind, FramerErrorKind::line_too_long);
  EXPECT_EQ(framer.error()->raw, wire.substr(0, 19));  // up to just past the limit
  EXPECT_EQ(framer.error()->offset, 16u);
  // Final until reset().
  EXPECT_EQ(framer.feed("* 1 EXISTS\r\n").status, FrameStatus::error);
  framer.reset();
  EXPECT_EQ(framer.feed("* 1 EXISTS\r\n").status, FrameStatus::complete);
  // Ground: the same error whichever way the bytes come.
  const GrindResult run = grind(wire, limits);
  EXPECT_FALSE(run.framer_error.empty());
}

TEST(ImapFramer, LiteralLengthOverflowIsAnError) {
  Framer framer;
  const std::string wire = "* 1 FETCH (BODY[] {99999999999999999999999})\r\n";
  // Not a marker (the line does not end with `}`): the grammar rejects it.
  ASSERT_EQ(framer.feed(wire).status, FrameStatus::complete);
  framer.take();
  const std::string marker = "* 1 FETCH (BODY[] {99999999999999999999999}\r\n";
  EXPECT_EQ(framer.feed(marker).status, FrameStatus::error);
  EXPECT_EQ(framer.error()->kind, FramerErrorKind::bad_literal_length);
  EXPECT_EQ(framer.error()->offset, 18u);
  EXPECT_EQ(framer.error()->stream_offset, wire.size());  // where the bad line starts
}

TEST(ImapFramer, LiteralTooLargeWithoutSink) {
  FramerLimits limits;
  limits.max_buffered_literal = 100;
  Framer framer(limits);
  EXPECT_EQ(framer.feed("* 1 FETCH (BODY[] {101}\r\n").status, FrameStatus::error);
  EXPECT_EQ(framer.error()->kind, FramerErrorKind::literal_too_large);
  // With a sink and a threshold below it, the same literal streams.
  limits.stream_literals_above = 50;
  Framer streaming(limits, [](const LiteralChunk&) {});
  EXPECT_EQ(streaming.feed("* 1 FETCH (BODY[] {101}\r\n").status, FrameStatus::need_more);
}

TEST(ImapFramer, TooManyLiteralsAndResponseTooLarge) {
  FramerLimits limits;
  limits.max_literals = 2;
  Framer framer(limits);
  EXPECT_EQ(framer.feed("* ID ({1}\r\na {1}\r\nb {1}\r\n").status, FrameStatus::error);
  EXPECT_EQ(framer.error()->kind, FramerErrorKind::too_many_literals);

  FramerLimits small;
  small.max_response_size = 64;
  Framer sized(small);
  EXPECT_EQ(sized.feed("* 1 FETCH (BODY[] {60}\r\n").status, FrameStatus::error);
  EXPECT_EQ(sized.error()->kind, FramerErrorKind::response_too_large);
}

TEST(ImapFramer, InResponseTracksPartialInput) {
  Framer framer;
  EXPECT_FALSE(framer.in_response());
  framer.feed("* 1 FETCH (BODY[] {5}\r\nab");
  EXPECT_TRUE(framer.in_response());
  EXPECT_EQ(framer.feed("cde)\r\n").status, FrameStatus::complete);
  framer.take();
  EXPECT_FALSE(framer.in_response());
}

}  // namespace
}  // namespace mailprune::imap::test
