// The pure parts of detaching over IMAP (imap/detach_message.hpp): RFC 5092 URLs, the CATENATE
// plan (checked byte for byte against mime::splice_message by resolving its URLs locally), the
// BODYSTRUCTURE comparison, and the header helpers.
#include "imap/detach_message.hpp"

#include <gtest/gtest.h>

#include "imap/bodystructure.hpp"
#include "mime/splice.hpp"

namespace mailprune::imap {
namespace {

mime::MimePart structure(const std::string& text) {
  auto parsed = parse_body_structure(text);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? parsed.value() : mime::MimePart{};
}

// multipart/mixed (boundary b1): 1 multipart/alternative (b2: 1.1 text, 1.2 html), 2 pdf, 3 png.
const char* kMixed =
    "(((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 6 1 NIL NIL NIL NIL)"
    "(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 13 1 NIL NIL NIL NIL) \"alternative\" "
    "(\"boundary\" \"b2\") NIL NIL NIL)"
    "(\"application\" \"pdf\" (\"name\" \"a.pdf\") NIL NIL \"base64\" 16 NIL (\"attachment\" NIL) NIL NIL)"
    "(\"image\" \"png\" NIL NIL NIL \"base64\" 8 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL)";

std::string mixed_message() {
  return "From: a@example.org\r\n"
         "Subject: report\r\n"
         "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
         "\r\n"
         "--b1\r\n"
         "Content-Type: multipart/alternative; boundary=\"b2\"\r\n"
         "\r\n"
         "--b2\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n"
         "\r\n"
         "Hello!\r\n"
         "--b2\r\n"
         "Content-Type: text/html; charset=utf-8\r\n"
         "\r\n"
         "<p>Hello!</p>\r\n"
         "--b2--\r\n"
         "--b1\r\n"
         "Content-Type: application/pdf; name=\"a.pdf\"\r\n"
         "Content-Disposition: attachment\r\n"
         "Content-Transfer-Encoding: base64\r\n"
         "\r\n"
         "JVBERi0xLjQKJcfs\r\n"
         "--b1\r\n"
         "Content-Type: image/png\r\n"
         "Content-Transfer-Encoding: base64\r\n"
         "\r\n"
         "iVBORw0K\r\n"
         "--b1--\r\n";
}

// What a server makes of the plan: each URL replaced by the section's bytes in `raw`.
std::string resolve(const std::vector<CatenatePart>& parts, const std::string& raw, const std::string& base) {
  std::string out;
  for (const auto& part : parts) {
    if (!part.is_url) {
      out += part.data;
      continue;
    }
    EXPECT_EQ(part.data.rfind(base + "/;SECTION=", 0), 0u) << part.data;
    std::string section = part.data.substr(base.size() + std::string("/;SECTION=").size());
    if (section == "HEADER") {
      out += raw.substr(0, raw.find("\r\n\r\n") + 4);
      continue;
    }
    const bool mime_header = section.size() > 5 && section.compare(section.size() - 5, 5, ".MIME") == 0;
    if (mime_header) section.resize(section.size() - 5);
    auto span = mime::locate_part(raw, section);
    EXPECT_TRUE(span.ok()) << section;
    if (!span.ok()) continue;
    if (mime_header) {
      out += raw.substr(span->header_begin, span->body_begin - span->header_begin);
    } else {
      out += raw.substr(span->body_begin, span->body_end - span->body_begin);
    }
  }
  return out;
}

TEST(ImapMessageUrl, AsciiNameStandsForItself) {
  EXPECT_EQ(imap_message_url("INBOX", 7, 42), "/INBOX;UIDVALIDITY=7/;UID=42");
  EXPECT_EQ(imap_message_url("Archives/2021", 1, 3), "/Archives/2021;UIDVALIDITY=1/;UID=3");
}

TEST(ImapMessageUrl, ModifiedUtf7DecodedAndEscaped) {
  EXPECT_EQ(imap_message_url("Archives/R&AOk-unions", 9, 1), "/Archives/R%C3%A9unions;UIDVALIDITY=9/;UID=1");
  EXPECT_EQ(imap_message_url("a b;c%d?e#f", 9, 1), "/a%20b%3Bc%25d%3Fe%23f;UIDVALIDITY=9/;UID=1");
  EXPECT_EQ(imap_message_url("Tom &- Jerry", 9, 1), "/Tom%20&%20Jerry;UIDVALIDITY=9/;UID=1");
}

TEST(CatenatePlan, TopLevelPartReplaced) {
  const mime::MimePart root = structure(kMixed);
  const std::string base = "/INBOX;UIDVALIDITY=7/;UID=42";
  const std::string notice = "Content-Type: text/plain\r\nX-Mailprune-Notice: a1\r\n\r\nArchived.";
  auto parts = catenate_parts(base, root, "X-Mailprune-Action: a1\r\n", {{"2", notice}});
  ASSERT_TRUE(parts.has_value());
  std::vector<std::pair<bool, std::string>> got;
  for (const auto& part : *parts) got.emplace_back(part.is_url, part.data);
  const std::string s = base + "/;SECTION=";
  const std::vector<std::pair<bool, std::string>> expected = {
      {false, "X-Mailprune-Action: a1\r\n"},
      {true, s + "HEADER"},
      {false, "--b1\r\n"},
      {true, s + "1.MIME"},
      {true, s + "1"},
      {false, "\r\n--b1\r\n" + notice + "\r\n--b1\r\n"},
      {true, s + "3.MIME"},
      {true, s + "3"},
      {false, "\r\n--b1--\r\n"},
  };
  EXPECT_EQ(got, expected);
}

TEST(CatenatePlan, GivesWhatSpliceGivesWithoutPreamble) {
  const std::string raw = mixed_message();
  const mime::MimePart root = structure(kMixed);
  const std::string base = "/INBOX;UIDVALIDITY=7/;UID=42";
  for (const std::string section : {"2", "3", "1.2", "1.1"}) {
    connector::Detachment detachment;
    detachment.section = section;
    detachment.notice_text = "The attachment is archived.";
    detachment.notice_html = "<p>The attachment is archived.</p>";
    detachment.file_name = "a.pdf";
    const std::string notice = mime::notice_part(detachment, "a1");
    auto parts =
        catenate_parts(base, root, "X-Mailprune-Action: a1\r\nX-Mailprune-Sha256: ab\r\n", {{section, notice}});
    ASSERT_TRUE(parts.has_value()) << section;
    auto spliced = mime::splice_message(raw, {{section, notice}},
                                        {{"X-Mailprune-Action", "a1"}, {"X-Mailprune-Sha256", "ab"}}, {});
    ASSERT_TRUE(spliced.ok()) << spliced.error().message;
    EXPECT_EQ(resolve(*parts, raw, base), spliced.value()) << "section " << section;
  }
}

TEST(CatenatePlan, TwoSectionsInDifferentBranches) {
  const std::string raw = mixed_message();
  const mime::MimePart root = structure(kMixed);
  const std::string base = "/X;UIDVALIDITY=1/;UID=2";
  const std::map<std::string, std::string> notices = {{"1.2", "Content-Type: text/plain\r\n\r\nA"},
                                                      {"3", "Content-Type: text/plain\r\n\r\nB"}};
  auto parts = catenate_parts(base, root, "", notices);
  ASSERT_TRUE(parts.has_value());
  auto spliced = mime::splice_message(raw, {{"1.2", notices.at("1.2")}, {"3", notices.at("3")}}, {}, {});
  ASSERT_TRUE(spliced.ok());
  EXPECT_EQ(resolve(*parts, raw, base), spliced.value());
}

TEST(CatenatePlan, NoPlanForWhatCatenateCannotExpress) {
  const mime::MimePart single = structure("(\"application\" \"pdf\" NIL NIL NIL \"base64\" 100 NIL NIL NIL NIL)");
  EXPECT_FALSE(catenate_parts("/I;UIDVALIDITY=1/;UID=1", single, "", {{"1", "x"}}).has_value());
  const mime::MimePart root = structure(kMixed);
  EXPECT_FALSE(catenate_parts("/I;UIDVALIDITY=1/;UID=1", root, "", {{"4", "x"}}).has_value()) << "no such part";
  EXPECT_FALSE(catenate_parts("/I;UIDVALIDITY=1/;UID=1", root, "", {{"2.1", "x"}}).has_value()) << "inside a leaf";
  EXPECT_FALSE(catenate_parts("/I;UIDVALIDITY=1/;UID=1", root, "", {}).has_value());
  const mime::MimePart no_boundary = structure(
      "((\"text\" \"plain\" NIL NIL NIL \"7bit\" 6 1 NIL NIL NIL NIL)(\"image\" \"png\" NIL NIL NIL \"base64\" 8 NIL "
      "NIL NIL NIL) \"mixed\" NIL NIL NIL NIL)");
  EXPECT_FALSE(catenate_parts("/I;UIDVALIDITY=1/;UID=1", no_boundary, "", {{"2", "x"}}).has_value());
  const mime::MimePart empty_kept = structure(
      "((\"text\" \"plain\" NIL NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)(\"image\" \"png\" NIL NIL NIL \"base64\" 8 NIL "
      "NIL NIL NIL) \"mixed\" (\"boundary\" \"q\") NIL NIL NIL)");
  EXPECT_FALSE(catenate_parts("/I;UIDVALIDITY=1/;UID=1", empty_kept, "", {{"2", "x"}}).has_value());
}

TEST(CompareStructure, SameShapeOutsideReplacedSections) {
  const mime::MimePart before = structure(kMixed);
  mime::MimePart after = before;
  after.children[1].type = "multipart";
  after.children[1].subtype = "alternative";
  after.children[1].encoded_size.reset();
  EXPECT_EQ(compare_structure(before, after, {"2"}), "");
  EXPECT_NE(compare_structure(before, after, {"3"}), "");
  mime::MimePart resized = before;
  resized.children[2].encoded_size = 9;
  EXPECT_NE(compare_structure(before, resized, {"2"}).find("part 3"), std::string::npos);
  mime::MimePart recoded = before;
  recoded.children[0].children[1].transfer_encoding = "quoted-printable";
  EXPECT_NE(compare_structure(before, recoded, {"2"}).find("part 1.2"), std::string::npos);
}

TEST(FindPart, BySection) {
  const mime::MimePart root = structure(kMixed);
  ASSERT_NE(find_part(root, "1.2"), nullptr);
  EXPECT_EQ(find_part(root, "1.2")->subtype, "html");
  EXPECT_EQ(find_part(root, "3")->subtype, "png");
  EXPECT_EQ(find_part(root, "4"), nullptr);
  EXPECT_EQ(find_part(root, "1.3"), nullptr);
  EXPECT_EQ(find_part(root, ""), &root);
}

TEST(HeaderFields, UnfoldedAndExact) {
  const std::string header =
      "Subject: a\r\n b\r\nX-Mailprune-Action:  a12 \r\nx-mailprune-action: a1\r\n\r\nbody: no\r\n";
  const auto fields = header_fields(header);
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[0].second, "a b");
  EXPECT_TRUE(has_field(header, "X-Mailprune-Action", "a1"));
  EXPECT_TRUE(has_field(header, "X-Mailprune-Action", "a12"));
  EXPECT_FALSE(has_field(header, "X-Mailprune-Action", "a"));
  EXPECT_FALSE(has_field(header, "body", "no"));
}

TEST(StripDetachFields, TheActionsBlockOnly) {
  const std::string raw =
      "X-Mailprune-Action: a2\r\n"
      "X-Mailprune-Sha256: 00ff\r\n"
      "X-Mailprune-Name: =?utf-8?q?r=C3=A9?=\r\n"
      " continued\r\n"
      "X-Mailprune-Action: a1\r\n"
      "X-Mailprune-Sha256: 1111\r\n"
      "From: a@example.org\r\n"
      "X-Mailprune-Other: stays\r\n"
      "\r\n"
      "X-Mailprune-Action: a2\r\n";
  EXPECT_EQ(strip_detach_fields(raw, "a2"),
            "X-Mailprune-Action: a1\r\n"
            "X-Mailprune-Sha256: 1111\r\n"
            "From: a@example.org\r\n"
            "X-Mailprune-Other: stays\r\n"
            "\r\n"
            "X-Mailprune-Action: a2\r\n");
  EXPECT_EQ(strip_detach_fields(raw, "a9"), raw);
  const std::string lf = "X-Mailprune-Action: a1\nX-Mailprune-From: x\nSubject: x\n\nbody\n";
  EXPECT_EQ(strip_detach_fields(lf, "a1"), "Subject: x\n\nbody\n");
}

TEST(ValidHeaderField, NamesAndValues) {
  EXPECT_TRUE(valid_header_field("X-Mailprune-Sha256", "abc"));
  EXPECT_FALSE(valid_header_field("X Mailprune", "abc"));
  EXPECT_FALSE(valid_header_field("X:Y", "abc"));
  EXPECT_FALSE(valid_header_field("", "abc"));
  EXPECT_FALSE(valid_header_field("X-A", "a\r\nBcc: x"));
}

}  // namespace
}  // namespace mailprune::imap
