// parse_message() on whole messages: tree and IMAP section numbers, exact decoded sizes and
// hashes, raw bytes of forwarded messages, damage, limits and errors.
#include "mime/message_parse.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <thread>
#include <vector>

#include "mime/attachments.hpp"
#include "mime/sha256.hpp"
#include "test_support.hpp"

namespace mailprune::mime {
namespace {

using namespace std::string_literals;

using test::join;

const std::string pdf_content = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"s +
                                std::string(3000, 'x') + "\n%%EOF\n\x00\x01\xFF"s;

const std::string headers = join({"From: Alice <alice@example.com>", "To: bob@example.com", "Subject: test",
                                  "Date: Mon, 3 Jun 2024 10:00:00 +0000", "MIME-Version: 1.0"});

struct ExpectedAttachment {
  std::string section;
  std::string name;
  std::string content_type;
  std::string content;  // decoded
  bool is_inline;
  bool damaged;
};

struct MessageCase {
  const char* name;
  std::string raw;
  std::vector<ExpectedAttachment> expected;
  bool message_damaged;
};

std::vector<MessageCase> message_cases() {
  const std::string pdf_b64 = test::base64_encode(pdf_content, 76);
  const std::string embedded =
      join({"From: carol@example.com", "Subject: original", "Content-Type: text/plain; charset=utf-8", "",
            "Original body.", "", "-- ", "Carol"}) +
      "last line without newline";
  const std::string embedded_lf =
      join({"From: carol@example.com", "Subject: original", "", "Original body."}, "\n") + "end";
  std::vector<MessageCase> rows;
  rows.push_back(
      {"gmail-mixed-base64-pdf-with-2047-name",
       headers +
           join({"Content-Type: multipart/mixed; boundary=\"000000000000abcd\"", "", "--000000000000abcd",
                 "Content-Type: text/plain; charset=\"UTF-8\"", "", "See attached.", "--000000000000abcd",
                 "Content-Type: application/pdf; name=\"=?UTF-8?B?w6l0w6kucGRm?=\"",
                 "Content-Disposition: attachment; filename=\"=?UTF-8?B?w6l0w6kucGRm?=\"",
                 "Content-Transfer-Encoding: base64", "Content-ID: <f_lx1>", "", pdf_b64, "--000000000000abcd--"}),
       {{"2", "\xC3\xA9t\xC3\xA9.pdf", "application/pdf", pdf_content, false, false}},
       false});
  rows.push_back(
      {"forwarded-eml-bytes-exact",
       headers + join({"Content-Type: multipart/mixed; boundary=b1", "", "--b1", "Content-Type: text/plain", "", "FYI",
                       "--b1", "Content-Type: message/rfc822",
                       "Content-Disposition: attachment; filename=\"original.eml\"", "", embedded, "--b1--", ""}),
       {{"2", "original.eml", "message/rfc822", embedded, false, false}},
       false});
  rows.push_back(
      {"unix-lf-forwarded-eml-bytes-exact",
       join({"From: a@example.com", "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=b1", "", "--b1",
             "Content-Type: text/plain", "", "FYI", "--b1", "Content-Type: message/rfc822", "", embedded_lf, "--b1--"},
            "\n"),
       {{"2", "", "message/rfc822", embedded_lf, false, false}},
       false});
  rows.push_back({"top-level-message-rfc822-is-section-1",
                  headers + join({"Content-Type: message/rfc822", ""}) + embedded,
                  {{"1", "", "message/rfc822", embedded, false, false}},
                  false});
  rows.push_back(
      {"digest-headerless-part-defaults-to-rfc822",
       headers + join({"Content-Type: multipart/digest; boundary=d", "", "--d", "", "From: x@example.com",
                       "Subject: one", "", "first", "--d--"}),
       {{"1", "", "message/rfc822", join({"From: x@example.com", "Subject: one", ""}) + "first", false, false}},
       false});
  rows.push_back({"nested-alternative-related-sections",
                  headers + join({"Content-Type: multipart/mixed; boundary=outer",
                                  "",
                                  "--outer",
                                  "Content-Type: multipart/alternative; boundary=alt",
                                  "",
                                  "--alt",
                                  "Content-Type: text/plain",
                                  "",
                                  "hi",
                                  "--alt",
                                  "Content-Type: multipart/related; boundary=rel",
                                  "",
                                  "--rel",
                                  "Content-Type: text/html",
                                  "Content-Transfer-Encoding: quoted-printable",
                                  "",
                                  "<img src=3D\"cid:logo@x\">",
                                  "--rel",
                                  "Content-Type: image/png",
                                  "Content-ID: <logo@x>",
                                  "Content-Transfer-Encoding: base64",
                                  "",
                                  "iVBORw0=",
                                  "--rel--",
                                  "--alt--",
                                  "--outer",
                                  "Content-Type: application/zip; name=x.zip",
                                  "Content-Transfer-Encoding: base64",
                                  "",
                                  "UEsDBA==",
                                  "--outer--"}),
                  {{"1.2.2", "", "image/png", "\x89PNG\r"s, true, false},
                   {"2", "x.zip", "application/zip", "PK\x03\x04"s, false, false}},
                  false});
  rows.push_back({"single-part-pdf-message-is-section-1",
                  headers + join({"Content-Type: application/pdf", "Content-Disposition: attachment; filename=only.pdf",
                                  "Content-Transfer-Encoding: base64", "", pdf_b64}),
                  {{"1", "only.pdf", "application/pdf", pdf_content, false, false}},
                  false});
  rows.push_back(
      {"delivery-status-report",
       headers +
           join({"Content-Type: multipart/report; report-type=delivery-status; boundary=r", "", "--r",
                 "Content-Type: text/plain", "", "Delivery failed.", "--r", "Content-Type: message/delivery-status", "",
                 "Reporting-MTA: dns; mx.example.com", "", "Final-Recipient: rfc822; x@example.com", "Action: failed",
                 "--r", "Content-Type: text/rfc822-headers", "", "Subject: lost", "--r--"}),
       {{"2", "", "message/delivery-status",
         join({"Reporting-MTA: dns; mx.example.com", "", "Final-Recipient: rfc822; x@example.com"}) + "Action: failed",
         false, false}},
       false});
  rows.push_back(
      {"same-file-twice-base64-and-qp",
       headers + join({"Content-Type: multipart/mixed; boundary=s", "", "--s", "Content-Type: text/plain; name=a.txt",
                       "Content-Transfer-Encoding: base64", "", test::base64_encode("caf\xC3\xA9 =\r\n", 4), "--s",
                       "Content-Type: text/plain; name=b.txt", "Content-Transfer-Encoding: quoted-printable", "",
                       "caf=C3=A9 =3D", "", "--s--"}),
       {{"1", "a.txt", "text/plain", "caf\xC3\xA9 =\r\n", false, false},
        {"2", "b.txt", "text/plain", "caf\xC3\xA9 =\r\n", false, false}},
       false});
  rows.push_back(
      {"raw-8bit-latin1-filename",
       headers + join({"Content-Type: multipart/mixed; boundary=s", "", "--s", "Content-Type: application/octet-stream",
                       "Content-Disposition: attachment; filename=\"\xE9t\xE9.bin\"", "", "abc", "--s--"}),
       {{"1", "\xC3\xA9t\xC3\xA9.bin", "application/octet-stream", "abc", false, false}},
       false});
  rows.push_back({"missing-closing-boundary-is-damaged",
                  headers + join({"Content-Type: multipart/mixed; boundary=m", "", "--m", "Content-Type: text/plain",
                                  "", "body", "--m", "Content-Type: application/pdf; name=a.pdf",
                                  "Content-Transfer-Encoding: base64", "", pdf_b64}),
                  {{"2", "a.pdf", "application/pdf", pdf_content, false, true}},
                  true});
  rows.push_back({"truncated-mid-base64-is-damaged",
                  headers +
                      join({"Content-Type: multipart/mixed; boundary=m", "", "--m",
                            "Content-Type: application/pdf; name=a.pdf", "Content-Transfer-Encoding: base64", ""}) +
                      "JVBERi0xLjQK",
                  {{"1", "a.pdf", "application/pdf", "%PDF-1.4\n", false, true}},
                  true});
  rows.push_back({"bad-base64-characters-are-damaged",
                  headers + join({"Content-Type: multipart/mixed; boundary=m", "", "--m",
                                  "Content-Type: application/pdf; name=a.pdf", "Content-Transfer-Encoding: base64", "",
                                  "JVBE!!Ri0x", "--m--"}),
                  {{"1", "a.pdf", "application/pdf", "%PDF-1", false, true}},
                  true});
  rows.push_back(
      {"inner-multipart-unclosed-but-outer-closed",
       headers + join({"Content-Type: multipart/mixed; boundary=outer", "", "--outer",
                       "Content-Type: multipart/alternative; boundary=inner", "", "--inner", "Content-Type: text/plain",
                       "", "hi", "--outer", "Content-Type: image/gif; name=a.gif", "", "GIF89a", "--outer--"}),
       {{"2", "a.gif", "image/gif", "GIF89a", false, false}},
       true});
  return rows;
}

TEST(ParseMessage, Table) {
  for (const MessageCase& row : message_cases()) {
    const ParseResult result = parse_message(row.raw);
    ASSERT_TRUE(result.ok()) << row.name << ": " << result.error;
    const ParsedMessage& message = result.message;
    EXPECT_EQ(message.damaged, row.message_damaged) << row.name;
    const std::vector<Attachment> found = classify_attachments(message.root, &message.html_cids);
    ASSERT_EQ(found.size(), row.expected.size()) << row.name;
    for (std::size_t i = 0; i < found.size(); ++i) {
      const ExpectedAttachment& expected = row.expected[i];
      EXPECT_EQ(found[i].section, expected.section) << row.name;
      EXPECT_EQ(found[i].name, expected.name) << row.name;
      EXPECT_EQ(found[i].content_type, expected.content_type) << row.name;
      EXPECT_EQ(found[i].size, expected.content.size()) << row.name << " " << found[i].section;
      EXPECT_TRUE(found[i].size_exact) << row.name;
      EXPECT_EQ(found[i].sha256, sha256_hex(expected.content)) << row.name << " " << found[i].section;
      EXPECT_EQ(found[i].is_inline, expected.is_inline) << row.name;
      EXPECT_EQ(found[i].damaged, expected.damaged) << row.name;
    }
  }
}

TEST(ParseMessage, TreeShapeAndFields) {
  const std::string raw =
      headers +
      join({"Content-Type: multipart/mixed; boundary=\"b\"", "", "--b", "Content-Type: text/plain; charset=utf-8", "",
            "hello", "--b", "Content-Type: multipart/alternative; boundary=\"c\"", "", "--c",
            "Content-Type: text/plain", "Content-Transfer-Encoding: QUOTED-PRINTABLE", "", "a=3Db", "--c--", "--b--"});
  const ParseResult result = parse_message(raw);
  ASSERT_TRUE(result.ok()) << result.error;
  const MimePart& root = result.message.root;
  EXPECT_EQ(root.section, "");
  EXPECT_EQ(root.type, "multipart");
  EXPECT_EQ(root.subtype, "mixed");
  EXPECT_FALSE(root.decoded_size.has_value());
  ASSERT_EQ(root.children.size(), 2u);
  const MimePart& text = root.children[0];
  EXPECT_EQ(text.section, "1");
  EXPECT_EQ(text.transfer_encoding, "7bit");
  ASSERT_EQ(text.content_type_params.size(), 1u);
  EXPECT_EQ(text.content_type_params[0].name, "charset");
  EXPECT_EQ(text.encoded_size, 5u);
  EXPECT_EQ(text.decoded_size, 5u);
  EXPECT_EQ(text.sha256, sha256_hex("hello"));
  const MimePart& inner = root.children[1].children.at(0);
  EXPECT_EQ(inner.section, "2.1");
  EXPECT_EQ(inner.transfer_encoding, "quoted-printable");
  EXPECT_EQ(inner.decoded_size, 3u);
  EXPECT_FALSE(result.message.damaged);
}

TEST(ParseMessage, HtmlCidReferencesAreCollected) {
  const std::string raw =
      headers + join({"Content-Type: multipart/related; boundary=r", "", "--r",
                      "Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: base64", "",
                      test::base64_encode("<p><img src=\"cid:Image001.PNG@01DA\"></p>", 76), "--r",
                      "Content-Type: text/html; name=page.html", "", "<img src=\"cid:ignored@x\">", "--r--"});
  const ParseResult result = parse_message(raw);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.message.html_cids, (CidSet{"image001.png@01da"}));
}

TEST(ParseMessage, ProtectionOnParsedTnefMessage) {
  const std::string raw =
      headers + join({"Content-Type: multipart/mixed; boundary=t", "", "--t", "Content-Type: text/plain", "",
                      "see attached", "--t", "Content-Type: application/ms-tnef; name=\"winmail.dat\"",
                      "Content-Transfer-Encoding: base64", "", "eJ8+IgAA", "--t--"});
  const ParseResult result = parse_message(raw);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_TRUE(message_protection(result.message.root).tnef);
}

struct ErrorCase {
  const char* name;
  std::string raw;
  ParseLimits limits;
};

TEST(ParseMessage, ErrorsAreValues) {
  ParseLimits few_parts;
  few_parts.max_parts = 2;
  ParseLimits shallow;
  shallow.max_depth = 1;
  ParseLimits tiny;
  tiny.max_message_bytes = 10;
  const std::string nested = headers + join({"Content-Type: multipart/mixed; boundary=a", "", "--a",
                                             "Content-Type: multipart/mixed; boundary=b", "", "--b",
                                             "Content-Type: multipart/mixed; boundary=c", "", "--c",
                                             "Content-Type: text/plain", "", "x", "--c--", "--b--", "--a--"});
  const std::vector<ErrorCase> rows = {
      {"empty-input", "", {}},
      {"no-header-block", "this is not a message at all", {}},
      {"too-many-parts", nested, few_parts},
      {"nesting-too-deep", nested, shallow},
      {"message-too-large", nested, tiny},
  };
  for (const ErrorCase& row : rows) {
    const ParseResult result = parse_message(row.raw, row.limits);
    EXPECT_FALSE(result.ok()) << row.name;
    EXPECT_FALSE(result.error.empty()) << row.name;
  }
  EXPECT_TRUE(parse_message(nested).ok());
}

TEST(ParseMessage, DamageIsBlamedOnThePartThatRunsToTheEnd) {
  const std::string raw =
      headers + join({"Content-Type: multipart/mixed; boundary=m", "", "--m", "Content-Type: text/plain", "", "intact",
                      "--m", "Content-Type: application/pdf", "Content-Transfer-Encoding: base64", "", "JVBERi0x"});
  const ParseResult result = parse_message(raw);
  ASSERT_TRUE(result.ok()) << result.error;
  ASSERT_EQ(result.message.root.children.size(), 2u);
  EXPECT_FALSE(result.message.root.children[0].damaged);
  EXPECT_TRUE(result.message.root.children[1].damaged);
  EXPECT_TRUE(result.message.damaged);
}

// GMime is initialised on first use from whichever thread comes first; parses then run in
// parallel (run under -DMAILPRUNE_SANITIZE=ON, or TSan, to make this test bite).
TEST(ParseMessage, ConcurrentParsesAgree) {
  const std::vector<MessageCase> rows = message_cases();
  const auto last_leaf_hash = [](std::string_view raw) {
    const MimePart& root = parse_message(raw).message.root;
    return root.children.empty() ? root.sha256 : root.children.back().sha256;
  };
  std::vector<std::string> expected;
  for (const MessageCase& row : rows) expected.push_back(last_leaf_hash(row.raw));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < mismatches.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (std::size_t i = 0; i < rows.size(); ++i) {
          if (last_leaf_hash(rows[i].raw) != expected[i]) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(ParseMessage, HeadersOnlyMessageHasEmptyBody) {
  const ParseResult result = parse_message(join({"From: a@example.com", "Subject: x"}));
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.message.root.section, "1");
  EXPECT_EQ(result.message.root.decoded_size, 0u);
  EXPECT_TRUE(classify_attachments(result.message.root).empty());
}

TEST(ParseMessage, CloseDelimiterAtTheVeryEndKeepsItsLineBreak) {
  // GMime leaves the CR of "\r\n--b--" in the last part when nothing follows the delimiter.
  for (const std::string tail : {"--b--", "--b--\r\n", "--b--  ", "--b--\r\nepilogue"}) {
    SCOPED_TRACE(tail);
    const std::string raw =
        join({"Subject: x", "Content-Type: multipart/mixed; boundary=b", "", "--b", "Content-Type: text/plain", "",
              "abc", "--b", "Content-Type: application/x", "", "last\rx\r"}) +
        tail;
    const ParseResult result = parse_message(raw);
    ASSERT_TRUE(result.ok()) << result.error;
    ASSERT_EQ(result.message.root.children.size(), 2u);
    EXPECT_EQ(result.message.root.children[0].sha256, sha256_hex("abc"));
    EXPECT_EQ(result.message.root.children[1].sha256, sha256_hex("last\rx\r"));
  }
}

}  // namespace
}  // namespace mailprune::mime
