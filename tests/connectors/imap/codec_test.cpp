// Modified UTF-7, sequence sets, INTERNALDATE and error classification: writers and readers agree.
#include <gtest/gtest.h>

#include "imap/classify.hpp"
#include "imap/error.hpp"
#include "imap/internal_date.hpp"
#include "imap/mutf7.hpp"
#include "imap/sequence_set.hpp"

namespace mailprune::imap {
namespace {

struct Mutf7Case {
  const char* utf8;
  const char* mutf7;
};

TEST(ImapMutf7, KnownVectorsBothWays) {
  const Mutf7Case cases[] = {
      {"INBOX", "INBOX"},
      {"&", "&-"},
      {"Tom & Jerry", "Tom &- Jerry"},
      {"Entwürfe", "Entw&APw-rfe"},                                    // Dovecot, German locale
      {"Éléments envoyés", "&AMk-l&AOk-ments envoy&AOk-s"},            // French Outlook
      {"~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},  // RFC 3501 §5.1.3
      {"Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"},          // Russian Sent
      {"📎 Anhänge", "&2D3czg- Anh&AOQ-nge"},                           // U+1F4CE: surrogate pair
      {"", ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(mutf7_encode(c.utf8), c.mutf7) << c.utf8;
    EXPECT_EQ(mutf7_decode(c.mutf7), c.utf8) << c.mutf7;
  }
}

TEST(ImapMutf7, RejectsBadInput) {
  EXPECT_FALSE(mutf7_encode("bad \xC3"));         // truncated UTF-8
  EXPECT_FALSE(mutf7_encode("\xC0\xAF"));         // overlong
  EXPECT_FALSE(mutf7_encode("\xED\xA0\x80"));     // surrogate in UTF-8
  EXPECT_FALSE(mutf7_decode("Entw\xC3\xBCrfe"));  // raw 8-bit on the wire
  EXPECT_FALSE(mutf7_decode("&U,BTFw"));          // unterminated
  EXPECT_FALSE(mutf7_decode("&2D0-"));            // lone high surrogate
  EXPECT_FALSE(mutf7_decode("&A-"));              // 6 bits: not a UTF-16 unit
  EXPECT_FALSE(mutf7_decode("&APx-"));            // non-zero padding bits
  EXPECT_FALSE(mutf7_decode("&AP*-"));            // not modified base64
}

TEST(ImapMutf7, RoundTripsEveryPlaneSample) {
  std::string text;
  for (char32_t cp : {U'a', U'\u00e9', U'\u20ac', U'\uffe1', U'\U0001F600', U'\U0010FFFD', U'&', U' '}) {
    std::string one;
    if (cp < 0x80) {
      one.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      one += {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
    } else if (cp < 0x10000) {
      one += {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
              static_cast<char>(0x80 | (cp & 0x3F))};
    } else {
      one += {static_cast<char>(0xF0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
              static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
    }
    text += one;
    const auto encoded = mutf7_encode(text);
    ASSERT_TRUE(encoded);
    for (char c : *encoded) EXPECT_TRUE(c >= 0x20 && c <= 0x7E);
    EXPECT_EQ(mutf7_decode(*encoded), text);
  }
}

TEST(ImapSequenceSet, CompressesSortsAndDeduplicates) {
  EXPECT_EQ(format_sequence_set(compress_uids({9, 1, 2, 3, 5, 3, 7, 8, 0})), "1:3,5,7:9");
  EXPECT_EQ(format_sequence_set(compress_uids({})), "");
  EXPECT_EQ(format_sequence_set(compress_uids({4294967294u, 4294967293u})), "4294967293:4294967294");
}

TEST(ImapSequenceSet, ParsesAndFormatsBack) {
  EXPECT_EQ(format_sequence_set(*parse_sequence_set("1:3,5,7:*")), "1:3,5,7:*");
  EXPECT_EQ(format_sequence_set(*parse_sequence_set("5:3")), "3:5");
  EXPECT_EQ(count_of(*parse_sequence_set("300:310,405,411")), 13u);
  for (const char* bad : {"", "0", "1,", ",1", "1:", "a", "1::2", "4294967296", "1:0"}) {
    EXPECT_FALSE(parse_sequence_set(bad)) << bad;
  }
  EXPECT_FALSE(expand(*parse_sequence_set("1:*"), 10));
  EXPECT_FALSE(expand(*parse_sequence_set("1:100"), 10));
  EXPECT_EQ(expand(*parse_sequence_set("3,1:2"), 10), (std::vector<std::uint32_t>{3, 1, 2}));
}

TEST(ImapSequenceSet, SplitKeepsEverySetUnderTheLimit) {
  std::vector<std::uint32_t> uids;
  for (std::uint32_t i = 0; i < 5000; ++i) uids.push_back(i * 3 + (i % 7 == 0 ? 1 : 2));
  for (std::size_t limit : {12u, 100u, 8000u}) {
    const auto sets = split_sequence_sets(uids, limit);
    std::vector<std::uint32_t> back;
    for (const auto& set : sets) {
      EXPECT_LE(set.size(), limit);
      const auto expanded = expand(*parse_sequence_set(set), 1u << 20);
      back.insert(back.end(), expanded->begin(), expanded->end());
    }
    EXPECT_EQ(back, uids) << limit;
  }
}

TEST(ImapInternalDate, ParsesZonesAndFixedDay) {
  EXPECT_EQ(parse_internal_date("17-Jul-1996 02:44:25 -0700"), 837596665);
  EXPECT_EQ(parse_internal_date(" 1-Jan-1970 00:00:00 +0000"), 0);
  EXPECT_EQ(parse_internal_date("1-jan-1970 01:00:00 +0100"), 0);
  EXPECT_EQ(parse_internal_date("29-Feb-2024 23:59:59 +0000"), 1709251199);
  for (const char* bad : {"", "17-Jul-1996", "17-Jux-1996 02:44:25 -0700", "32-Jul-1996 02:44:25 -0700",
                          "17-Jul-1996 24:00:00 +0000", "17-Jul-1996 02:44:25 0700", "117-Jul-1996 02:44:25 -0700"}) {
    EXPECT_FALSE(parse_internal_date(bad)) << bad;
  }
}

TEST(ImapInternalDate, FormatsAndRoundTrips) {
  EXPECT_EQ(format_internal_date(837596665, -420), "17-Jul-1996 02:44:25 -0700");
  EXPECT_EQ(format_internal_date(0), "01-Jan-1970 00:00:00 +0000");
  EXPECT_EQ(format_internal_date(-1), "31-Dec-1969 23:59:59 +0000");
  for (std::int64_t t :
       {std::int64_t{0}, std::int64_t{951782400}, std::int64_t{1709251199}, std::int64_t{4102444800}}) {
    for (int zone : {-720, -420, 0, 330, 840}) {
      EXPECT_EQ(parse_internal_date(format_internal_date(t, zone)), t) << t << " " << zone;
    }
  }
}

TEST(ImapError, ClassifiedByWhatToDoNext) {
  Error no_parse = make_error(ErrorKind::no, "bad qp", "PARSE");
  EXPECT_FALSE(no_parse.retriable());
  EXPECT_FALSE(no_parse.poisons_connection());
  EXPECT_TRUE(make_error(ErrorKind::no, "busy", "UNAVAILABLE").retriable());
  EXPECT_FALSE(make_error(ErrorKind::bad, "syntax").retriable());
  for (ErrorKind kind : {ErrorKind::protocol, ErrorKind::bye, ErrorKind::timeout, ErrorKind::connection}) {
    Error error = make_error(kind, "x");
    EXPECT_TRUE(error.retriable()) << to_string(kind);
    EXPECT_TRUE(error.poisons_connection()) << to_string(kind);
    EXPECT_FALSE(error.outcome_unknown());
    error.command_in_flight = true;
    EXPECT_FALSE(error.outcome_unknown()) << "read-only commands are never in doubt";
    error.command_mutates = true;
    EXPECT_TRUE(error.outcome_unknown()) << "a MOVE whose reply was lost";
  }
  Error refused = make_error(ErrorKind::no, "over quota", "OVERQUOTA");
  refused.command_in_flight = refused.command_mutates = true;
  EXPECT_FALSE(refused.outcome_unknown());
  const Error from_parse = error_from(ParseError{"expected a number", "* 1 FETCH (UID x)", 15});
  EXPECT_EQ(from_parse.kind, ErrorKind::parse);
  EXPECT_EQ(from_parse.offset, 15u);
  EXPECT_FALSE(from_parse.poisons_connection());
}

TEST(ImapError, FromResponsesAndFraming) {
  const auto no = parse_response_text("A7 NO [UNAVAILABLE] Index is locked, try again\r\n");
  ASSERT_TRUE(no);
  const auto error = error_from(std::get<StatusResponse>(no.value()));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, ErrorKind::no);
  EXPECT_EQ(error->code, "UNAVAILABLE");
  EXPECT_TRUE(error->retriable());
  EXPECT_EQ(error->raw, "A7 Index is locked, try again");

  const auto bye = parse_response_text("* BYE Autologout; idle for too long\r\n");
  EXPECT_EQ(error_from(std::get<StatusResponse>(bye.value()))->kind, ErrorKind::bye);
  // Untagged NO is a warning, OK is not an error.
  EXPECT_FALSE(error_from(std::get<StatusResponse>(parse_response_text("* NO Disk 95% full\r\n").value())));
  EXPECT_FALSE(error_from(std::get<StatusResponse>(parse_response_text("A1 OK done\r\n").value())));

  FramerError framing;
  framing.message = "line longer than max_line_length";
  framing.raw = "* OK aaaa";
  framing.offset = 4;
  const Error protocol = error_from(framing);
  EXPECT_EQ(protocol.kind, ErrorKind::protocol);
  EXPECT_TRUE(protocol.poisons_connection());
  EXPECT_EQ(protocol.offset, 4u);
}

}  // namespace
}  // namespace mailprune::imap
