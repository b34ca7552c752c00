// splice.hpp: locating parts of many shapes by IMAP section, splicing replacements in with every
// other byte unchanged, the detach notice, and undo (encode_part) giving back the decoded content.
// The byte checks compare against spans written out by hand in each row; the structure checks use
// parse_message() (GMime), a parser independent of the splice scanner.
#include "mime/splice.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "mime/message_parse.hpp"
#include "mime/sha256.hpp"
#include "mime/transfer_decode.hpp"
#include "test_support.hpp"

namespace mailprune::mime {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

using test::join;

std::string lf_to(std::string_view text, std::string_view eol) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') {
      out += eol;
    } else {
      out += c;
    }
  }
  return out;
}

const std::string binary_content = "%PDF-1.4\n\x00\x01\xFE\xFF\r\n"s + std::string(500, 'z') + "\r\nend\xC3\xA9"s;

// Every decoded leaf of a parsed tree by section: sha256.
void collect_leaves(const MimePart& part, std::map<std::string, std::string>& out) {
  if (part.type == "multipart") {
    for (const MimePart& child : part.children) collect_leaves(child, out);
    return;
  }
  out[part.section.empty() ? "1" : part.section] = part.sha256;
}

std::map<std::string, std::string> leaves_of(std::string_view raw) {
  const ParseResult parsed = parse_message(raw);
  EXPECT_TRUE(parsed.ok()) << parsed.error;
  std::map<std::string, std::string> out;
  if (parsed.ok()) collect_leaves(parsed.message.root, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Shapes: a message, and for each section the exact header and body bytes it must span.

struct ExpectedPart {
  std::string section;
  std::string header;  // part_header(): header fields without the blank line
  std::string body;
  bool spliceable;  // splice_message() may replace it
};

struct Shape {
  std::string name;
  std::string raw;
  std::vector<ExpectedPart> parts;
};

std::vector<Shape> shapes(std::string_view eol) {
  const auto lines = [eol](std::initializer_list<std::string_view> list) { return join(list, eol); };
  const std::string e(eol);
  const std::string top = lines({"From: a@example.com", "To: b@example.com", "Subject: shapes", "X-Folded: first",
                                 "\tsecond", "MIME-Version: 1.0"});
  const std::string b64 = test::base64_encode(binary_content, 76, eol);
  std::vector<Shape> rows;

  rows.push_back(
      {"mixed-text-and-base64",
       top + lines({"Content-Type: multipart/mixed; boundary=\"b1\"", "", "--b1", "Content-Type: text/plain", "",
                    "Hello.", "--b1", "Content-Type: application/pdf; name=a.pdf", "Content-Transfer-Encoding: base64",
                    "", b64, "--b1--", ""}),
       {{"1", "Content-Type: text/plain" + e, "Hello.", true},
        {"2", "Content-Type: application/pdf; name=a.pdf" + e + "Content-Transfer-Encoding: base64" + e, b64, true}}});

  rows.push_back(
      {"preamble-epilogue-and-odd-quoted-boundary",
       top + lines({"Content-Type: multipart/mixed;", " boundary=\"=_odd'()+_,-./:=? b\"", "", "This is a preamble.",
                    "--notit", "", "--=_odd'()+_,-./:=? b", "Content-Type: text/plain", "",
                    "body --=_odd'()+_,-./:=? b in text", "--=_odd'()+_,-./:=? bX not a delimiter",
                    "--=_odd'()+_,-./:=? b", "Content-Type: image/png", "Content-Transfer-Encoding: base64", "",
                    "iVBORw0KGgo=", "--=_odd'()+_,-./:=? b--", "Epilogue line one", "Epilogue two"}),
       {{"1", "Content-Type: text/plain" + e,
         "body --=_odd'()+_,-./:=? b in text" + e + "--=_odd'()+_,-./:=? bX not a delimiter", true},
        {"2", "Content-Type: image/png" + e + "Content-Transfer-Encoding: base64" + e, "iVBORw0KGgo=", true}}});

  rows.push_back(
      {"nested-alternative-and-related",
       top + lines({"Content-Type: Multipart/Mixed; boundary=outer",
                    "",
                    "--outer",
                    "Content-Type: multipart/alternative; boundary=alt",
                    "",
                    "--alt",
                    "Content-Type: text/plain",
                    "",
                    "plain",
                    "--alt",
                    "Content-Type: text/html",
                    "",
                    "<p>html</p>",
                    "--alt--",
                    "",
                    "--outer",
                    "Content-Type: multipart/related; boundary=rel",
                    "",
                    "--rel",
                    "Content-Type: text/html",
                    "",
                    "<img src=cid:x>",
                    "--rel",
                    "Content-Type: image/gif",
                    "Content-ID: <x>",
                    "Content-Transfer-Encoding: base64",
                    "",
                    "R0lGODlh",
                    "--rel--",
                    "--outer",
                    "Content-Type: application/zip",
                    "Content-Transfer-Encoding: base64",
                    "",
                    "UEsDBA==",
                    "--outer--"}),
       {{"1.1", "Content-Type: text/plain" + e, "plain", true},
        {"1.2", "Content-Type: text/html" + e, "<p>html</p>", true},
        {"2.2", "Content-Type: image/gif" + e + "Content-ID: <x>" + e + "Content-Transfer-Encoding: base64" + e,
         "R0lGODlh", true},
        {"3", "Content-Type: application/zip" + e + "Content-Transfer-Encoding: base64" + e, "UEsDBA==", true},
        {"1", "Content-Type: multipart/alternative; boundary=alt" + e,
         lines({"--alt", "Content-Type: text/plain", "", "plain", "--alt", "Content-Type: text/html", "", "<p>html</p>",
                "--alt--"}),
         true}}});

  rows.push_back({"transport-padding-after-delimiters",
                  top + lines({"Content-Type: multipart/mixed; boundary=pad", "", "--pad  \t",
                               "Content-Type: text/plain", "", "first", "--pad ", "Content-Type: text/csv",
                               "Content-Disposition: attachment; filename=a.csv", "", "a,b", "1,2", "--pad--  ", ""}),
                  {{"1", "Content-Type: text/plain" + e, "first", true},
                   {"2", "Content-Type: text/csv" + e + "Content-Disposition: attachment; filename=a.csv" + e,
                    "a,b" + e + "1,2", true}}});

  rows.push_back({"part-without-header-and-empty-part",
                  top + lines({"Content-Type: multipart/mixed; boundary=nh", "", "--nh", "", "no header here", "--nh",
                               "Content-Type: application/octet-stream", "", "", "--nh", "--nh--"}),
                  {{"1", "", "no header here", true},
                   {"2", "Content-Type: application/octet-stream" + e, "", true},
                   {"3", "", "", true}}});

  const std::string embedded =
      lines({"From: c@example.com", "Subject: inner", "Content-Type: multipart/mixed; boundary=in", "", "--in",
             "Content-Type: text/plain", "", "inner text", "--in", "Content-Type: image/jpeg",
             "Content-Transfer-Encoding: base64", "", "/9j/4A=="}) +
      "--in--";
  rows.push_back(
      {"forwarded-message-entered-not-spliced",
       top +
           lines({"Content-Type: multipart/mixed; boundary=fw", "", "--fw", "Content-Type: message/rfc822",
                  "Content-Disposition: attachment; filename=fwd.eml", ""}) +
           embedded + e + lines({"--fw--"}),
       {{"1", "Content-Type: message/rfc822" + e + "Content-Disposition: attachment; filename=fwd.eml" + e, embedded,
         true},
        {"1.1", "Content-Type: text/plain" + e, "inner text", false},
        {"1.2", "Content-Type: image/jpeg" + e + "Content-Transfer-Encoding: base64" + e, "/9j/4A==", false}}});

  rows.push_back(
      {"digest-defaults-to-message-rfc822",
       top + lines({"Content-Type: multipart/digest; boundary=dg", "", "--dg", "", "Subject: one", "",
                    "first digest body", "--dg--"}),
       {{"1", "", "Subject: one" + e + e + "first digest body", true}, {"1.1", "", "first digest body", false}}});

  rows.push_back({"single-part-body-is-section-1",
                  top + lines({"Content-Type: application/pdf", "Content-Transfer-Encoding: base64", ""}) + b64,
                  {{"1", "", b64, false}}});

  rows.push_back({"missing-close-delimiter-best-effort",
                  top + lines({"Content-Type: multipart/mixed; boundary=cut", "", "--cut", "Content-Type: text/plain",
                               "", "kept", "--cut", "Content-Type: application/pdf",
                               "Content-Transfer-Encoding: base64", "", "JVBERi0xLjQK", "JVBE"}),
                  {{"1", "Content-Type: text/plain" + e, "kept", true},
                   {"2", "Content-Type: application/pdf" + e + "Content-Transfer-Encoding: base64" + e,
                    "JVBERi0xLjQK" + e + "JVBE" + e, false}}});
  return rows;
}

void check_shape(const Shape& shape) {
  SCOPED_TRACE(shape.name);
  for (const ExpectedPart& expected : shape.parts) {
    SCOPED_TRACE("section " + expected.section);
    const auto span = locate_part(shape.raw, expected.section);
    ASSERT_TRUE(span.ok()) << span.error().message;
    ASSERT_LE(span->header_begin, span->body_begin);
    ASSERT_LE(span->body_begin, span->body_end);
    ASSERT_LE(span->body_end, shape.raw.size());
    EXPECT_EQ(part_header(shape.raw, span.value()), expected.header);
    EXPECT_EQ(shape.raw.substr(span->body_begin, span->body_end - span->body_begin), expected.body);

    // Replace it with a marker part: exactly the span changes.
    const std::string eol(line_break(line_ending_of(shape.raw)));
    const std::string new_part = "Content-Type: text/plain" + eol + eol + "REPLACED " + expected.section;
    const auto spliced = splice_message(shape.raw, {{expected.section, new_part}}, {}, {});
    if (!expected.spliceable) {
      EXPECT_FALSE(spliced.ok());
      continue;
    }
    ASSERT_TRUE(spliced.ok()) << spliced.error().message;
    const std::string& out = spliced.value();
    EXPECT_EQ(out.substr(0, span->header_begin), shape.raw.substr(0, span->header_begin));
    EXPECT_EQ(out.substr(span->header_begin, new_part.size()), new_part);
    // An empty part with no line break of its own before the next delimiter gets one.
    const std::string added_break = expected.header.empty() && expected.body.empty() ? eol : "";
    EXPECT_EQ(out.substr(span->header_begin + new_part.size()), added_break + shape.raw.substr(span->body_end));
    // Independently (GMime): the other leaves are unchanged, the section now holds the marker.
    const auto before = leaves_of(shape.raw);
    const auto after = leaves_of(out);
    for (const auto& [section, sha256] : before) {
      if (section == expected.section || section.starts_with(expected.section + ".")) continue;
      EXPECT_EQ(after.count(section), 1u) << section;
      if (after.count(section) == 1) {
        EXPECT_EQ(after.at(section), sha256) << section;
      }
    }
    ASSERT_EQ(after.count(expected.section), 1u);
    EXPECT_EQ(after.at(expected.section), sha256_hex("REPLACED " + expected.section));
  }
}

TEST(SpliceShapes, CrlfMessages) {
  for (const Shape& shape : shapes("\r\n")) check_shape(shape);
}

TEST(SpliceShapes, BareLfMessages) {
  for (const Shape& shape : shapes("\n")) check_shape(shape);
}

// ---------------------------------------------------------------------------------------------
// Errors.

struct ErrorCase {
  const char* name;
  std::string section;
  std::string message_part;  // expected in the error text
};

TEST(SpliceErrors, LocateRefusesWithReason) {
  const std::string raw = join({"Content-Type: multipart/mixed; boundary=x", "", "--x", "Content-Type: text/plain", "",
                                "t", "--x", "Content-Type: message/rfc822", "", "Subject: s", "", "inner", "--x",
                                "Content-Type: multipart/mixed", "", "no boundary", "--x--"});
  const std::vector<ErrorCase> rows = {
      {"empty", "", "not a part number"},
      {"zero", "0", "not a part number"},
      {"letters", "2.TEXT", "not a part number"},
      {"double-dot", "1..2", "not a part number"},
      {"missing", "9", "no part 9"},
      {"leaf-descended", "1.1", "part 1 is text/plain"},
      {"multipart-without-boundary", "3.1", "section 3 is a multipart without a boundary"},
  };
  for (const ErrorCase& row : rows) {
    SCOPED_TRACE(row.name);
    const auto span = locate_part(raw, row.section);
    ASSERT_FALSE(span.ok());
    EXPECT_NE(span.error().message.find(row.message_part), std::string::npos) << span.error().message;
  }
  EXPECT_TRUE(locate_part(raw, "2.1").ok());  // the attached message's body
  const auto spliced = splice_message(raw, {{"2.1", "\r\nx"}}, {}, {});
  ASSERT_FALSE(spliced.ok());
  EXPECT_EQ(spliced.error().message, "section 2.1 is inside message/rfc822");
}

TEST(SpliceErrors, DepthAndPartLimits) {
  // 60 nested multiparts, each with one child.
  std::string raw = "Content-Type: multipart/mixed; boundary=b0\r\n\r\n";
  std::string closing;
  for (int i = 1; i <= 60; ++i) {
    raw += "--b" + std::to_string(i - 1) + "\r\nContent-Type: multipart/mixed; boundary=b" + std::to_string(i) +
           "\r\n\r\n";
    closing = "\r\n--b" + std::to_string(i - 1) + "--" + closing;
  }
  raw += "--b60\r\nContent-Type: text/plain\r\n\r\nleaf\r\n--b60--" + closing;
  std::string deep = "1";
  for (int i = 0; i < 60; ++i) deep += ".1";
  const auto too_deep = locate_part(raw, deep);
  ASSERT_FALSE(too_deep.ok());
  EXPECT_NE(too_deep.error().message.find("deeper than 50"), std::string::npos) << too_deep.error().message;
  SpliceLimits wide;
  wide.max_depth = 100;
  const auto found = locate_part(raw, deep, wide);
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(raw.substr(found->body_begin, found->body_end - found->body_begin), "leaf");

  std::string many = "Content-Type: multipart/mixed; boundary=m\r\n\r\n";
  for (int i = 0; i < 20; ++i) many += "--m\r\n\r\npart\r\n";
  many += "--m--\r\n";
  SpliceLimits few;
  few.max_parts = 10;
  const auto limited = locate_part(many, "1", few);
  ASSERT_FALSE(limited.ok());
  EXPECT_NE(limited.error().message.find("more than 10 parts"), std::string::npos) << limited.error().message;
  EXPECT_TRUE(locate_part(many, "20").ok());
}

TEST(SpliceErrors, SpliceRefusals) {
  const std::string raw =
      join({"Content-Type: multipart/mixed; boundary=x", "", "--x", "Content-Type: text/plain", "", "one", "--x",
            "Content-Type: multipart/alternative; boundary=y", "", "--y", "", "a", "--y--", "--x--"});
  const auto overlap = splice_message(raw, {{"2", "\r\nA"}, {"2.1", "\r\nB"}}, {}, {});
  ASSERT_FALSE(overlap.ok());
  EXPECT_NE(overlap.error().message.find("overlap"), std::string::npos);
  const auto same = splice_message(raw, {{"1", "\r\nA"}, {"1", "\r\nB"}}, {}, {});
  EXPECT_FALSE(same.ok());
  const auto wrong_ending = splice_message(raw, {{"1", "Content-Type: text/plain\n\nx"}}, {}, {});
  ASSERT_FALSE(wrong_ending.ok());
  EXPECT_NE(wrong_ending.error().message.find("line ending"), std::string::npos);
  const auto bad_field = splice_message(raw, {}, {{"X-A", "one\r\nBcc: evil@example.com"}}, {});
  EXPECT_FALSE(bad_field.ok());
  EXPECT_FALSE(splice_message(" folded\r\nSubject: s\r\n\r\nbody", {}, {{"X-A", "v"}}, {}).ok());
  EXPECT_TRUE(splice_message(" folded\r\nSubject: s\r\n\r\nbody", {}, {}, {}).ok());
  const auto single = splice_message("Subject: s\r\n\r\nbody", {{"1", "\r\nx"}}, {}, {});
  ASSERT_FALSE(single.ok());
  EXPECT_NE(single.error().message.find("not inside a multipart"), std::string::npos);
}

TEST(SpliceMessage, SeveralReplacementsAnyOrderAndHeaderEdits) {
  const std::string raw = join({"Received: from a", "X-Old: drop", "  me too", "Subject: keep", "X-OLD: also",
                                "Content-Type: multipart/mixed; boundary=x", "", "pre", "--x", "", "one", "--x", "",
                                "two", "--x", "", "three", "--x--", "epi"});
  const auto out =
      splice_message(raw, {{"3", "\r\nTHREE"}, {"1", "X-New: 1\r\n\r\nONE"}},
                     {{"X-Mailprune-Detached", "2; sha256=ab"}, {"X-Folded", "a\r\n b"}},
                     [](std::string_view name, std::string_view) { return name == "X-Old" || name == "X-OLD"; });
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out.value(), join({"X-Mailprune-Detached: 2; sha256=ab",
                               "X-Folded: a",
                               " b",
                               "Received: from a",
                               "Subject: keep",
                               "Content-Type: multipart/mixed; boundary=x",
                               "",
                               "pre",
                               "--x",
                               "X-New: 1",
                               "",
                               "ONE",
                               "--x",
                               "",
                               "two",
                               "--x",
                               "",
                               "THREE",
                               "--x--",
                               "epi"}));
  std::vector<std::string> values;
  (void)splice_message(raw, {}, {}, [&](std::string_view, std::string_view value) {
    values.emplace_back(value);
    return false;
  });
  ASSERT_GE(values.size(), 2u);
  EXPECT_EQ(values[1], "drop  me too");
  const auto lf = splice_message(lf_to("Subject: s\n\n", "\n"), {}, {{"X-A", "v"}}, {});
  ASSERT_TRUE(lf.ok());
  EXPECT_EQ(lf.value(), "X-A: v\nSubject: s\n\n");
}

// ---------------------------------------------------------------------------------------------
// Notice, encode_part, and the detach -> reattach round trip.

TEST(NoticePart, IsAnAlternativeWithItsMark) {
  connector::Detachment detachment;
  detachment.section = "2.1";
  detachment.notice_text = "Pièce jointe « rapport.pdf » (2 Mo) archivée:\nhttps://mailprune.example/a/x?sig=1=2 ";
  detachment.notice_html =
      "<p>Pi\xC3\xA8"
      "ce jointe <a href=\"https://x/a\">rapport.pdf</a></p>";
  detachment.file_name = "rapport.pdf";
  for (const LineEnding ending : {LineEnding::crlf, LineEnding::lf}) {
    const std::string eol(line_break(ending));
    const std::string notice = notice_part(detachment, "act-42\r\nBcc: x", ending);
    EXPECT_NE(notice, notice_part(detachment, "act-42", ending));  // fresh boundary
    // In a message the notice is followed by the line break of the next delimiter.
    const std::string raw = "Subject: n" + eol + "MIME-Version: 1.0" + eol + notice + eol;
    const ParseResult parsed = parse_message(raw);
    ASSERT_TRUE(parsed.ok()) << parsed.error;
    EXPECT_FALSE(parsed.message.damaged);
    const MimePart& root = parsed.message.root;
    EXPECT_EQ(root.subtype, "alternative");
    ASSERT_EQ(root.children.size(), 2u);
    EXPECT_EQ(root.children[0].subtype, "plain");
    EXPECT_EQ(root.children[1].subtype, "html");
    const std::string expected_text = lf_to(detachment.notice_text, eol);
    EXPECT_EQ(root.children[0].sha256, sha256_hex(expected_text));
    EXPECT_EQ(root.children[1].sha256, sha256_hex(detachment.notice_html));
    const auto mark = read_notice(notice.substr(0, notice.find(eol + eol) + eol.size()));
    ASSERT_TRUE(mark.has_value());
    EXPECT_EQ(mark->action_id, "act-42__Bcc: x");
    EXPECT_EQ(mark->section, "2.1");
    for (std::size_t pos = 0, next = 0; pos < notice.size(); pos = next + 1) {
      next = notice.find('\n', pos);
      if (next == std::string::npos) next = notice.size();
      EXPECT_LE(next - pos, 78u);
    }
  }
  EXPECT_FALSE(read_notice("Content-Type: text/plain\r\n").has_value());
  EXPECT_EQ(read_notice("x-mailprune-notice:  a1 ;\r\n section=\"3\"\r\n")->section, "3");
}

struct EncodeCase {
  const char* name;
  std::string header;
  std::string content;
};

TEST(EncodePart, DecodesBackExactly) {
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes += static_cast<char>(i);
  const std::string text = "line one  \r\nline\ttwo\t\r\n=3D literal= \nlone LF\rlone CR\r\n" + std::string(200, 'w') +
                           " " + std::string(90, '=') + "\r\n\r\n.\r\nFrom me\r\ntrailing space ";
  const std::vector<EncodeCase> rows = {
      {"base64-all-bytes", "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: BASE64\r\n",
       all_bytes + all_bytes},
      {"base64-empty", "Content-Transfer-Encoding: base64\r\n", ""},
      {"base64-one-byte", "Content-Transfer-Encoding: base64", "x"},
      {"qp-text", "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n", text},
      {"qp-binary", "Content-Transfer-Encoding:\r\n quoted-printable\r\n", all_bytes},
      {"qp-delimiter-lookalikes", "Content-Transfer-Encoding: quoted-printable\r\n",
       "--b1\r\n--b1--\r\n-\r\n" + std::string(75, 'x') + "--outer\n--x"},
      {"7bit", "Content-Type: text/plain\r\nContent-Transfer-Encoding: 7bit\r\n", "plain\r\ntext"},
      {"8bit", "Content-Transfer-Encoding: 8bit\r\n", "caf\xC3\xA9\r\n"},
      {"binary", "Content-Transfer-Encoding: binary\r\n", binary_content},
      {"absent", "Content-Type: text/plain\r\n", "no encoding header"},
  };
  for (const EncodeCase& row : rows) {
    for (const LineEnding ending : {LineEnding::crlf, LineEnding::lf}) {
      SCOPED_TRACE(std::string(row.name) + (ending == LineEnding::crlf ? " crlf" : " lf"));
      const std::string eol(line_break(ending));
      const std::string part = encode_part(row.header, row.content, ending);
      const std::size_t blank = part.find(eol + eol);
      ASSERT_NE(blank, std::string::npos);
      std::string expected_header;
      for (const char c : row.header) {
        if (c != '\r') expected_header += c;
      }
      if (!expected_header.ends_with('\n')) expected_header += '\n';
      EXPECT_EQ(part.substr(0, blank + eol.size()), lf_to(expected_header, eol));
      const std::string body = part.substr(blank + 2 * eol.size());
      const std::string encoding_name =
          row.header.find("ase64") != std::string::npos || row.header.find("BASE64") != std::string::npos
              ? "base64"
              : (row.header.find("quoted-printable") != std::string::npos ? "quoted-printable" : "7bit");
      const DecodedBytes decoded = decode_transfer(body, transfer_encoding_from_name(encoding_name));
      EXPECT_EQ(decoded.bytes, row.content);
      EXPECT_FALSE(decoded.damaged);
      if (encoding_name != "7bit") {
        EXPECT_FALSE(body.starts_with("-"));
        EXPECT_EQ(body.find("\n-"), std::string::npos);
        for (std::size_t pos = 0, next = 0; pos < body.size(); pos = next + 1) {
          next = body.find('\n', pos);
          if (next == std::string::npos) next = body.size();
          const std::size_t length = next - pos - (next > pos && body[next - 1] == '\r' ? 1 : 0);
          EXPECT_LE(length, 76u);
          if (encoding_name == "base64" && next != body.size()) {
            EXPECT_EQ(length, 76u);
          }
        }
      }
    }
  }
}

TEST(EncodePart, KeepsTheHeaderAsItWas) {
  EXPECT_EQ(encode_part("Content-Type: text/plain;\r\n\tname=a.txt\r\nContent-Transfer-Encoding: 7bit\r\n", "x"),
            "Content-Type: text/plain;\r\n\tname=a.txt\r\nContent-Transfer-Encoding: 7bit\r\n\r\nx");
  EXPECT_EQ(encode_part("Content-Type: text/plain\r\n", "x", LineEnding::lf), "Content-Type: text/plain\n\nx");
  EXPECT_EQ(encode_part("", "x"), "\r\nx");
  // CRs right before a line's LF go with the break (fuzz_mime_splice: "\r\r\n" read as CRLF in a
  // LF message made the rebuilt part refused).
  EXPECT_EQ(encode_part("A: x\r\r\nB: y\n", "", LineEnding::lf), "A: x\nB: y\n\n");
  EXPECT_EQ(encode_part("A: x\r\r\nB: y\n", "", LineEnding::crlf), "A: x\r\nB: y\r\n\r\n");
  EXPECT_EQ(encode_part("A: x\r\n\r\r\nB: y", "", LineEnding::crlf), "A: x\r\nB: y\r\n\r\n");
  // A lone CR is no line break to the splice scanner, so it stays (it must not make a new field).
  EXPECT_EQ(encode_part("X-A: a\rContent-Transfer-Encoding: base64\n", "x", LineEnding::crlf),
            "X-A: a\rContent-Transfer-Encoding: base64\r\n\r\nx");
  EXPECT_EQ(part_transfer_encoding("X-A: a\rContent-Transfer-Encoding: base64\r\n"), TransferEncoding::identity);
  EXPECT_EQ(part_transfer_encoding("content-transfer-encoding :\r\n\tBase64 \r\n"), TransferEncoding::base64);
  EXPECT_EQ(encode_part("Content-Type: text/plain", "x"), "Content-Type: text/plain\r\n\r\nx");
}

// The decoded content of `section` in `raw`, with the decoders of transfer_decode.hpp.
std::string decoded_part(std::string_view raw, std::string_view section) {
  const auto span = locate_part(raw, section);
  EXPECT_TRUE(span.ok());
  if (!span.ok()) return {};
  const std::string_view header = part_header(raw, span.value());
  std::string encoding;
  const std::size_t at = std::string_view(header).find("Content-Transfer-Encoding:");
  if (at != std::string_view::npos) {
    encoding = std::string(header.substr(at + 26, header.find('\n', at) - at - 26));
  }
  return decode_transfer(raw.substr(span->body_begin, span->body_end - span->body_begin),
                         transfer_encoding_from_name(encoding))
      .bytes;
}

TEST(SpliceRoundTrip, DetachThenReattachGivesTheOriginalBack) {
  for (const std::string_view eol : {"\r\n"sv, "\n"sv}) {
    for (const Shape& shape : shapes(eol)) {
      for (const ExpectedPart& expected : shape.parts) {
        // (An empty part gets nothing worth restoring; check_shape() covers its replacement.)
        if (!expected.spliceable || (expected.header.empty() && expected.body.empty())) continue;
        SCOPED_TRACE(shape.name + " section " + expected.section + (eol.size() == 2 ? " crlf" : " lf"));
        const LineEnding ending = line_ending_of(shape.raw);
        const auto original_span = locate_part(shape.raw, expected.section);
        ASSERT_TRUE(original_span.ok());
        const std::string original_header(part_header(shape.raw, original_span.value()));
        const std::string content = decoded_part(shape.raw, expected.section);

        connector::Detachment detachment;
        detachment.section = expected.section;
        detachment.notice_text = "archived: " + expected.section;
        detachment.notice_html = "<b>archived</b>";
        const auto detached = splice_message(shape.raw, {{expected.section, notice_part(detachment, "A1", ending)}},
                                             {{"X-Mailprune-Detached", "A1"}}, {});
        ASSERT_TRUE(detached.ok()) << detached.error().message;

        const auto notice_span = locate_part(detached.value(), expected.section);
        ASSERT_TRUE(notice_span.ok());
        const auto mark = read_notice(part_header(detached.value(), notice_span.value()));
        ASSERT_TRUE(mark.has_value());
        EXPECT_EQ(mark->action_id, "A1");
        EXPECT_EQ(mark->section, expected.section);

        const auto restored =
            splice_message(detached.value(), {{mark->section, encode_part(original_header, content, ending)}}, {},
                           [](std::string_view name, std::string_view) { return name == "X-Mailprune-Detached"; });
        ASSERT_TRUE(restored.ok()) << restored.error().message;
        EXPECT_EQ(decoded_part(restored.value(), expected.section), content);
        EXPECT_EQ(leaves_of(restored.value()), leaves_of(shape.raw));
        // Identity and 76-column base64 bodies come back byte for byte.
        EXPECT_EQ(restored.value(), shape.raw);
      }
    }
  }
}

}  // namespace
}  // namespace mailprune::mime
