// Header parameter parsing, RFC 2047 and RFC 2231 decoding, and the attachment name
// (INVENTORY.md rule 5). Rows are named after the client or quirk that writes such headers.
#include "mime/header_decode.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mime/header_params.hpp"

namespace mailprune::mime {
namespace {

struct Rfc2047Case {
  const char* name;
  std::string input;
  std::string expected;
};

const std::vector<Rfc2047Case> rfc2047_cases = {
    {"rfc2047-b-utf8", "=?UTF-8?B?w6l0w6kucGRm?=", "\xC3\xA9t\xC3\xA9.pdf"},
    {"rfc2047-q-latin1", "=?ISO-8859-1?Q?caf=E9?=", "caf\xC3\xA9"},
    {"rfc2047-lowercase-encoding-letter", "=?utf-8?q?caf=c3=a9?=", "caf\xC3\xA9"},
    {"rfc2047-q-underscore-is-space", "=?utf-8?Q?hello_world?=", "hello world"},
    {"rfc2047-adjacent-words-joined", "=?utf-8?Q?a?= =?utf-8?Q?b?=", "ab"},
    {"rfc2047-folded-adjacent-words", "=?utf-8?Q?a?=\r\n\t=?utf-8?Q?b?=", "ab"},
    {"outlook-2047-multibyte-split-across-words", "=?UTF-8?B?ww==?= =?UTF-8?B?qQ==?=.pdf", "\xC3\xA9.pdf"},
    {"rfc2047-different-charsets-adjacent", "=?iso-8859-1?Q?=E9?= =?utf-8?Q?=C3=A9?=", "\xC3\xA9\xC3\xA9"},
    {"rfc2047-text-between-words-kept", "=?utf-8?Q?a?= and =?utf-8?Q?b?=", "a and b"},
    {"rfc2047-glued-to-text", "Report=?utf-8?Q?_=E2=82=AC?=.xlsx", "Report \xE2\x82\xAC.xlsx"},
    {"rfc2047-charset-with-language", "=?utf-8*en?Q?hi?=", "hi"},
    {"rfc2047-unknown-charset-falls-back", "=?x-bogus?Q?caf=C3=A9?=", "caf\xC3\xA9"},
    {"rfc2047-unknown-encoding-left-as-is", "=?utf-8?X?abc?=", "=?utf-8?X?abc?="},
    {"rfc2047-unterminated-left-as-is", "=?utf-8?Q?abc", "=?utf-8?Q?abc"},
    {"rfc2047-empty-charset-left-as-is", "=?\?Q?abc?=", "=?\?Q?abc?="},
    {"rfc2047-invalid-base64-left-as-is", "=?utf-8?B?w6*?=", "=?utf-8?B?w6*?="},
    {"rfc2047-malformed-then-valid", "=?bad =?utf-8?Q?ok?=", "=?bad ok"},
    {"rfc2047-empty-encoded-text", "=?utf-8?Q?\?=x", "x"},
    {"raw-latin1-outside-words", "caf\xE9", "caf\xC3\xA9"},
    {"raw-utf8-outside-words", "caf\xC3\xA9", "caf\xC3\xA9"},
    {"plain-ascii", "invoice 2024.pdf", "invoice 2024.pdf"},
};

TEST(Rfc2047, Table) {
  for (const Rfc2047Case& row : rfc2047_cases) {
    EXPECT_EQ(decode_rfc2047(row.input), row.expected) << row.name;
  }
}

TEST(HeaderParams, ParsesValueAndParameters) {
  const HeaderValue value = parse_header_value(
      " Multipart/Mixed (comment) ;\r\n\tboundary=\"----=_Part_1\";\r\n CHARSET=utf-8; junk;"
      " name=\"a \\\"q\\\" b\"");
  EXPECT_EQ(value.value, "multipart/mixed");
  ASSERT_EQ(value.parameters.size(), 3u);
  EXPECT_EQ(value.parameters[0].name, "boundary");
  EXPECT_EQ(value.parameters[0].value, "----=_Part_1");
  EXPECT_EQ(value.parameters[1].name, "charset");
  EXPECT_EQ(value.parameters[1].value, "utf-8");
  EXPECT_EQ(value.parameters[2].name, "name");
  EXPECT_EQ(value.parameters[2].value, "a \"q\" b");
}

TEST(HeaderParams, KeepsRfc2231PiecesUnderTheirOwnNames) {
  const HeaderValue value = parse_header_value("attachment; filename*0*=UTF-8''a%20; filename*1=\"b.pdf\"");
  EXPECT_EQ(value.value, "attachment");
  ASSERT_EQ(value.parameters.size(), 2u);
  EXPECT_EQ(value.parameters[0].name, "filename*0*");
  EXPECT_EQ(value.parameters[0].value, "UTF-8''a%20");
  EXPECT_EQ(value.parameters[1].name, "filename*1");
}

TEST(HeaderParams, UnterminatedQuoteAndEmptyHeader) {
  const HeaderValue value = parse_header_value("inline; filename=\"never closed.pdf");
  ASSERT_EQ(value.parameters.size(), 1u);
  EXPECT_EQ(value.parameters[0].value, "never closed.pdf");
  EXPECT_EQ(parse_header_value("").value, "");
  EXPECT_TRUE(parse_header_value(";;;=;").parameters.empty());
}

TEST(HeaderParams, ParameterCountIsBounded) {
  std::string header = "text/plain";
  for (int i = 0; i < 1000; ++i) header += "; p" + std::to_string(i) + "=v";
  EXPECT_EQ(parse_header_value(header).parameters.size(), max_parameters);
}

TEST(HeaderParams, SplitMediaType) {
  EXPECT_EQ(split_media_type(" Image/PNG ").type, "image");
  EXPECT_EQ(split_media_type(" Image/PNG ").subtype, "png");
  EXPECT_EQ(split_media_type("text").subtype, "");
}

// A part as a connector would describe it, from its raw Content-Type and Content-Disposition.
MimePart part_from_headers(std::string_view content_type, std::string_view disposition) {
  MimePart part;
  const HeaderValue type = parse_header_value(content_type);
  const MediaType media = split_media_type(type.value);
  part.type = media.type;
  part.subtype = media.subtype;
  part.content_type_params = type.parameters;
  const HeaderValue disp = parse_header_value(disposition);
  part.disposition = disp.value;
  part.disposition_params = disp.parameters;
  return part;
}

struct NameCase {
  const char* name;
  std::string content_type;
  std::string disposition;
  std::string expected;
};

const std::vector<NameCase> name_cases = {
    {"outlook-rfc2231-latin1-filename", "application/msword", "attachment; filename*=iso-8859-1''r%E9sum%E9.doc",
     "r\xC3\xA9sum\xC3\xA9.doc"},
    {"rfc2231-utf8-with-language", "application/pdf", "attachment; filename*=UTF-8'en'%E2%82%AC%20rates.pdf",
     "\xE2\x82\xAC rates.pdf"},
    {"thunderbird-2231-continuations", "application/pdf",
     "attachment;\r\n filename*0*=UTF-8''Quarterly%20report%20%E2%80%93%20;\r\n"
     " filename*1*=final%20version.pdf",
     "Quarterly report \xE2\x80\x93 final version.pdf"},
    {"thunderbird-2231-utf8-char-split-across-pieces", "application/pdf",
     "attachment; filename*0*=UTF-8''caf%C3; filename*1*=%A9.pdf", "caf\xC3\xA9.pdf"},
    {"rfc2231-continuations-out-of-order", "application/pdf", "attachment; filename*1=\"b.pdf\"; filename*0=\"a\"",
     "ab.pdf"},
    {"rfc2231-mixed-encoded-and-plain-pieces", "application/pdf",
     "attachment; filename*0*=utf-8''%E2%82%AC; filename*1=\" rates\"; filename*2*=.pdf", "\xE2\x82\xAC rates.pdf"},
    {"rfc2231-missing-piece-skipped", "application/pdf", "attachment; filename*0=\"a\"; filename*2=\"c.pdf\"",
     "ac.pdf"},
    {"rfc2231-duplicate-piece-first-wins", "application/pdf",
     "attachment; filename*0=\"a\"; filename*0=\"x\"; filename*1=\".pdf\"", "a.pdf"},
    {"rfc2231-leading-zero-piece-ignored", "application/pdf",
     "attachment; filename*0=\"a\"; filename*01=\"x\"; filename*1=\".pdf\"", "a.pdf"},
    {"rfc2231-plain-pieces-carry-2047", "application/pdf",
     "attachment; filename*0=\"=?UTF-8?B?w6l0\"; filename*1=\"w6kucGRm?=\"", "\xC3\xA9t\xC3\xA9.pdf"},
    {"rfc2231-extended-wins-over-plain", "application/pdf",
     "attachment; filename=\"fallback.pdf\"; filename*=utf-8''r%C3%A9el.pdf",
     "r\xC3\xA9"
     "el.pdf"},
    {"rfc2231-no-charset-latin1-bytes", "text/plain", "attachment; filename*=''%E9t%E9.txt", "\xC3\xA9t\xC3\xA9.txt"},
    {"rfc2231-no-apostrophes", "text/plain", "attachment; filename*=a%20b.txt", "a b.txt"},
    {"rfc2231-bad-percent-kept", "text/plain", "attachment; filename*=utf-8''100%.txt", "100%.txt"},
    {"rfc2231-on-content-type-name", "application/pdf; name*=utf-8''%C3%A9.pdf", "", "\xC3\xA9.pdf"},
    {"gmail-2047-in-quoted-filename", "application/pdf; name=\"=?UTF-8?B?w6l0w6kucGRm?=\"",
     "attachment; filename=\"=?UTF-8?B?w6l0w6kucGRm?=\"", "\xC3\xA9t\xC3\xA9.pdf"},
    {"content-type-name-only", "application/pdf; name=\"invoice.pdf\"", "", "invoice.pdf"},
    {"disposition-filename-over-content-type-name", "application/pdf; name=\"ct.pdf\"",
     "attachment; filename=\"cd.pdf\"", "cd.pdf"},
    {"empty-filename-falls-back-to-name", "application/pdf; name=\"b.pdf\"", "attachment; filename=\"\"", "b.pdf"},
    {"raw-utf8-filename", "application/pdf", "attachment; filename=\"\xC3\xA9t\xC3\xA9.pdf\"", "\xC3\xA9t\xC3\xA9.pdf"},
    {"raw-latin1-filename", "application/pdf", "attachment; filename=\"\xE9t\xE9.pdf\"", "\xC3\xA9t\xC3\xA9.pdf"},
    {"outlook-unquoted-filename-with-spaces", "application/pdf", "attachment; filename=My Report (1).pdf",
     "My Report (1).pdf"},
    {"uppercase-parameter-name", "application/pdf", "attachment; FILENAME=\"a.pdf\"", "a.pdf"},
    {"escaped-quote-in-filename", "application/pdf", "attachment; filename=\"a\\\"b.pdf\"", "a\"b.pdf"},
    {"no-name", "image/png", "inline", ""},
};

TEST(AttachmentName, Table) {
  for (const NameCase& row : name_cases) {
    EXPECT_EQ(attachment_name(part_from_headers(row.content_type, row.disposition)), row.expected) << row.name;
  }
}

TEST(DecodeParameter, AbsentVersusEmpty) {
  const std::vector<Parameter> parameters = {{"charset", "utf-8"}, {"name", ""}};
  EXPECT_FALSE(decode_parameter(parameters, "filename").has_value());
  ASSERT_TRUE(decode_parameter(parameters, "name").has_value());
  EXPECT_EQ(*decode_parameter(parameters, "name"), "");
  EXPECT_EQ(*decode_parameter(parameters, "CHARSET"), "utf-8");
}

TEST(DecodeParameter, PrefixOfAnotherNameIsNotAMatch) {
  const std::vector<Parameter> parameters = {{"filenamex", "no.pdf"}, {"filename*x", "no.pdf"}};
  EXPECT_FALSE(decode_parameter(parameters, "filename").has_value());
}

}  // namespace
}  // namespace mailprune::mime
