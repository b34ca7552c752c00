// Transfer decoders: one row per quirk seen in real mail, each ground at every split point and
// one byte at a time (the output and the damage flag must not depend on how input arrives).
#include "mime/transfer_decode.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace mailprune::mime {
namespace {

using test::decode_bytewise;
using test::decode_split;
using test::decode_whole;

struct DecodeCase {
  const char* name;
  TransferEncoding encoding;
  std::string input;
  std::string expected;
  bool damaged;
};

std::ostream& operator<<(std::ostream& os, const DecodeCase& row) {
  return os << row.name;
}

const TransferEncoding b64 = TransferEncoding::base64;
const TransferEncoding qp = TransferEncoding::quoted_printable;
const TransferEncoding identity = TransferEncoding::identity;

const std::vector<DecodeCase> decode_cases = {
    // base64 (RFC 2045 6.8)
    {"base64-padded", b64, "SGVsbG8=", "Hello", false},
    {"base64-double-padding", b64, "QQ==", "A", false},
    {"base64-no-padding", b64, "SGVsbG8", "Hello", false},
    {"base64-no-padding-one-byte", b64, "QQ", "A", false},
    {"base64-empty", b64, "", "", false},
    {"base64-only-line-breaks", b64, "\r\n\r\n", "", false},
    {"base64-mime-76-col-crlf", b64,
     "TWFueSBoYW5kcyBtYWtlIGxpZ2h0IHdvcmsuIE1hbnkgaGFuZHMgbWFrZSBsaWdodCB3b3JrLiBN\r\n"
     "YW55IGhhbmRzIG1ha2UgbGlnaHQgd29yay4=\r\n",
     "Many hands make light work. Many hands make light work. Many hands make light work.", false},
    {"base64-lf-only-lines", b64, "SGVs\nbG8=\n", "Hello", false},
    {"base64-indented-lines", b64, "  SGVs\r\n\tbG8=\r\n", "Hello", false},
    {"outlook-base64-trailing-blank-lines", b64, "SGVsbG8=\r\n\r\n\r\n", "Hello", false},
    {"base64-line-break-inside-quantum", b64, "SG\r\nVsbG8=", "Hello", false},
    {"base64-invalid-char-skipped", b64, "SGV*sbG8=", "Hello", true},
    {"base64-urlsafe-alphabet-is-damage", b64, "-/w==", "\xFF", true},
    {"base64-truncated-quantum", b64, "SGVsbG8gV", "Hello ", true},
    {"base64-stray-leading-equals", b64, "=SGVsbG8=", "Hello", true},
    {"base64-extra-padding", b64, "QQ===", "A", true},
    {"base64-single-pad-where-two-needed", b64, "QQ=", "A", true},
    {"base64-pad-then-data", b64, "QQ=QUI=", "AAB", true},
    {"base64-concatenated-padded-blocks", b64, "QQ==\r\nQQ==", "AA", true},
    {"base64-nul-and-high-bytes", b64, "AP+A", std::string("\x00\xFF\x80", 3), false},
    // quoted-printable (RFC 2045 6.7)
    {"qp-plain-text", qp, "hello world", "hello world", false},
    {"qp-hex-uppercase", qp, "caf=C3=A9", "caf\xC3\xA9", false},
    {"qp-hex-lowercase-accepted", qp, "caf=c3=a9", "caf\xC3\xA9", false},
    {"qp-soft-break-crlf", qp, "abc=\r\ndef", "abcdef", false},
    {"qp-soft-break-lf", qp, "abc=\ndef", "abcdef", false},
    {"qp-soft-break-bare-cr", qp, "abc=\rdef", "abcdef", false},
    {"qp-soft-break-with-transport-space", qp, "abc=  \r\ndef", "abcdef", false},
    {"qp-equals-at-end-before-boundary", qp, "abc=", "abc", false},
    {"qp-space-before-soft-break-kept", qp, "abc =\r\ndef", "abc def", false},
    {"qp-hard-line-breaks-kept", qp, "a\r\nb\nc", "a\r\nb\nc", false},
    {"qp-trailing-space-stripped", qp, "abc \t \r\ndef", "abc\r\ndef", false},
    {"qp-trailing-space-at-end-stripped", qp, "abc  ", "abc", false},
    {"qp-encoded-trailing-space-kept", qp, "abc=20\r\n", "abc \r\n", false},
    {"qp-inner-spaces-kept", qp, "a  b\tc", "a  b\tc", false},
    {"qp-encoded-crlf", qp, "a=0D=0Ab", "a\r\nb", false},
    {"qp-bare-cr-kept", qp, "a\rb", "a\rb", false},
    {"qp-equals-not-hex-kept", qp, "a=Gb", "a=Gb", true},
    {"qp-equals-one-hex-then-text", qp, "a=4x", "a=4x", true},
    {"qp-equals-one-hex-at-end", qp, "a=4", "a=4", true},
    {"qp-equals-space-text-kept", qp, "a= b", "a= b", true},
    {"qp-unencoded-equals-in-url", qp, "x.php?a=1&b=2", "x.php?a=1&b=2", true},
    {"qp-8bit-passthrough", qp, "caf\xC3\xA9", "caf\xC3\xA9", false},
    {"qp-double-equals", qp, "a==41", "a=A", true},
    // identity
    {"7bit-identity", identity, "abc\r\n=XX  \r\n", "abc\r\n=XX  \r\n", false},
    {"binary-identity", identity, std::string("\x00\x01\xFF", 3), std::string("\x00\x01\xFF", 3), false},
};

class TransferDecodeTable : public ::testing::TestWithParam<DecodeCase> {};

TEST_P(TransferDecodeTable, DecodesWhole) {
  const DecodeCase& row = GetParam();
  const auto out = decode_whole(row.input, row.encoding);
  EXPECT_EQ(out.bytes, row.expected);
  EXPECT_EQ(out.damaged, row.damaged);
}

TEST_P(TransferDecodeTable, GrindEverySplitPoint) {
  const DecodeCase& row = GetParam();
  for (std::size_t split = 0; split <= row.input.size(); ++split) {
    const auto out = decode_split(row.input, row.encoding, split);
    EXPECT_EQ(out.bytes, row.expected) << "split at " << split;
    EXPECT_EQ(out.damaged, row.damaged) << "split at " << split;
  }
}

TEST_P(TransferDecodeTable, GrindOneByteAtATime) {
  const DecodeCase& row = GetParam();
  const auto out = decode_bytewise(row.input, row.encoding);
  EXPECT_EQ(out.bytes, row.expected);
  EXPECT_EQ(out.damaged, row.damaged);
}

// gtest names allow no '-': the row "qp-soft-break-crlf" runs as Rows/TransferDecodeTable.*/qp_soft_break_crlf.
std::string row_name(const ::testing::TestParamInfo<DecodeCase>& row) {
  std::string name = row.param.name;
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Rows, TransferDecodeTable, ::testing::ValuesIn(decode_cases), row_name);

TEST(TransferEncodingName, RecognisesNamesAnyCase) {
  EXPECT_EQ(transfer_encoding_from_name("BASE64"), TransferEncoding::base64);
  EXPECT_EQ(transfer_encoding_from_name(" base64\r\n"), TransferEncoding::base64);
  EXPECT_EQ(transfer_encoding_from_name("Quoted-Printable"), TransferEncoding::quoted_printable);
  EXPECT_EQ(transfer_encoding_from_name("7bit"), TransferEncoding::identity);
  EXPECT_EQ(transfer_encoding_from_name("x-uuencode"), TransferEncoding::identity);
  EXPECT_EQ(transfer_encoding_from_name(""), TransferEncoding::identity);
}

TEST(TransferDecoder, Base64RoundTripsRandomBytesAtAnyLineLength) {
  std::mt19937 random(20240601);
  for (const std::size_t size : {0u, 1u, 2u, 3u, 4u, 57u, 58u, 1000u, 70000u}) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(random() & 0xFF);
    for (const std::size_t line : {0u, 4u, 64u, 76u, 77u}) {
      for (const char* line_break : {"\r\n", "\n"}) {
        const std::string encoded = test::base64_encode(bytes, line, line_break);
        const DecodedBytes decoded = decode_transfer(encoded, TransferEncoding::base64);
        EXPECT_EQ(decoded.bytes, bytes) << size << " bytes, lines of " << line;
        EXPECT_FALSE(decoded.damaged);
      }
    }
  }
}

TEST(TransferDecoder, SinkChunksAreBounded) {
  const std::string bytes(200000, 'x');
  const std::string encoded = test::base64_encode(bytes, 76);
  TransferDecoder decoder(TransferEncoding::base64);
  std::size_t largest = 0;
  std::string out;
  const auto sink = [&](std::string_view piece) {
    largest = std::max(largest, piece.size());
    out.append(piece);
  };
  decoder.feed(encoded, sink);
  decoder.finish(sink);
  EXPECT_EQ(out, bytes);
  EXPECT_LE(largest, TransferDecoder::sink_chunk_size);
}

TEST(TransferDecoder, LongWhitespaceRunIsBoundedAndDeterministic) {
  const std::string input = "a" + std::string(5000, ' ') + "b";
  const auto whole = decode_whole(input, TransferEncoding::quoted_printable);
  EXPECT_EQ(whole.bytes, input);
  const auto bytewise = decode_bytewise(input, TransferEncoding::quoted_printable);
  EXPECT_EQ(bytewise.bytes, input);
}

TEST(TransferDecoder, FeedAfterFinishIsIgnored) {
  TransferDecoder decoder(TransferEncoding::base64);
  std::string out;
  decoder.feed("QUJD", out);
  decoder.finish(out);
  decoder.feed("QUJD", out);
  decoder.finish(out);
  EXPECT_EQ(out, "ABC");
}

}  // namespace
}  // namespace mailprune::mime
