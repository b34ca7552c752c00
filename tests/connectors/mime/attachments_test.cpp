// classify_attachments() against INVENTORY.md, on trees as a connector builds them from
// BODYSTRUCTURE (no content seen), plus the size estimate and message_protection().
#include "mime/attachments.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mailprune::mime {
namespace {

MimePart leaf(std::string section, std::string type, std::string subtype) {
  MimePart part;
  part.section = std::move(section);
  part.type = std::move(type);
  part.subtype = std::move(subtype);
  part.transfer_encoding = "7bit";
  return part;
}

MimePart with_disposition(MimePart part, std::string disposition, std::string filename = {}) {
  part.disposition = std::move(disposition);
  if (!filename.empty()) part.disposition_params.push_back({"filename", std::move(filename)});
  return part;
}

MimePart with_name(MimePart part, std::string name) {
  part.content_type_params.push_back({"name", std::move(name)});
  return part;
}

MimePart with_cid(MimePart part, std::string content_id) {
  part.content_id = std::move(content_id);
  return part;
}

MimePart multipart(std::string section, std::string subtype, std::vector<MimePart> children) {
  MimePart part;
  part.section = std::move(section);
  part.type = "multipart";
  part.subtype = std::move(subtype);
  part.children = std::move(children);
  return part;
}

struct Expected {
  std::string section;
  std::string name;
  std::string content_type;
  bool is_inline;
};

struct ClassifyCase {
  const char* name;
  MimePart root;
  CidSet html_cids;
  std::vector<Expected> expected;
};

std::vector<ClassifyCase> classify_cases() {
  return {
      {"text-plain-body-only", leaf("1", "text", "plain"), {}, {}},
      {"alternative-text-and-html-is-body",
       multipart("", "alternative", {leaf("1", "text", "plain"), leaf("2", "text", "html")}),
       {},
       {}},
      {"text-plain-with-name-is-attachment",
       multipart("", "mixed", {leaf("1", "text", "plain"), with_name(leaf("2", "text", "plain"), "notes.txt")}),
       {},
       {{"2", "notes.txt", "text/plain", false}}},
      // Dovecot reports an unreadable Content-Type ("TEXT/PLAIN charset=US-ASCII", no ';') as
      // ("" "" ...): RFC 2045 section 5.2 makes it text/plain, so body, not an attachment
      // (SpamAssassin corpus spam-2/00204).
      {"dovecot-empty-type-is-text-plain",
       multipart("", "mixed", {leaf("1", "", ""), leaf("2", "image", "png")}),
       {},
       {{"2", "", "image/png", false}}},
      {"dovecot-empty-type-with-name-is-text-attachment",
       multipart("", "mixed", {leaf("1", "text", "plain"), with_name(leaf("2", "", ""), "a.txt")}),
       {},
       {{"2", "a.txt", "text/plain", false}}},
      {"text-with-attachment-disposition-no-name",
       multipart("", "mixed", {leaf("1", "text", "plain"), with_disposition(leaf("2", "text", "plain"), "attachment")}),
       {},
       {{"2", "", "text/plain", false}}},
      {"apple-mail-inline-pdf",
       multipart("", "mixed",
                 {leaf("1", "text", "plain"), with_disposition(leaf("2", "application", "pdf"), "inline", "scan.pdf"),
                  leaf("3", "text", "plain")}),
       {},
       {{"2", "scan.pdf", "application/pdf", false}}},
      {"related-image-with-cid-is-inline",
       multipart("", "related", {leaf("1", "text", "html"), with_cid(leaf("2", "image", "png"), "logo@example")}),
       {},
       {{"2", "", "image/png", true}}},
      {"related-nested-in-alternative-and-mixed",
       multipart(
           "", "mixed",
           {multipart("1", "alternative",
                      {leaf("1.1", "text", "plain"),
                       multipart("1.2", "related",
                                 {leaf("1.2.1", "text", "html"), with_cid(leaf("1.2.2", "image", "jpeg"), "a@b")})}),
            with_disposition(leaf("2", "application", "zip"), "attachment", "x.zip")}),
       {},
       {{"1.2.2", "", "image/jpeg", true}, {"2", "x.zip", "application/zip", false}}},
      {"related-part-with-attachment-disposition-not-inline",
       multipart("", "related",
                 {leaf("1", "text", "html"), with_disposition(leaf("2", "application", "pdf"), "attachment", "a.pdf")}),
       {},
       {{"2", "a.pdf", "application/pdf", false}}},
      {"html-references-cid-outside-related",
       multipart("", "mixed",
                 {leaf("1", "text", "html"),
                  with_disposition(with_cid(leaf("2", "image", "png"), "Logo@Example"), "attachment", "logo.png")}),
       {"logo@example"},
       {{"2", "logo.png", "image/png", true}}},
      {"unreferenced-cid-outside-related-not-inline",
       multipart("", "mixed", {leaf("1", "text", "html"), with_cid(leaf("2", "image", "png"), "other@x")}),
       {"logo@example"},
       {{"2", "", "image/png", false}}},
      {"forwarded-eml-is-one-attachment",
       multipart("", "mixed",
                 {leaf("1", "text", "plain"),
                  [] {
                    MimePart message = leaf("2", "message", "rfc822");
                    // A connector may have described the inside; it must not be walked.
                    message.children.push_back(with_name(leaf("2.1", "application", "pdf"), "in.pdf"));
                    return message;
                  }()}),
       {},
       {{"2", "", "message/rfc822", false}}},
      {"message-global-is-one-attachment",
       multipart("", "mixed", {leaf("1", "text", "plain"), leaf("2", "message", "global")}),
       {},
       {{"2", "", "message/global", false}}},
      {"delivery-status-report",
       multipart("", "report",
                 {leaf("1", "text", "plain"), leaf("2", "message", "delivery-status"), leaf("3", "message", "rfc822")}),
       {},
       {{"2", "", "message/delivery-status", false}, {"3", "", "message/rfc822", false}}},
      {"read-receipt-disposition-notification",
       multipart("", "report", {leaf("1", "text", "plain"), leaf("2", "message", "disposition-notification")}),
       {},
       {{"2", "", "message/disposition-notification", false}}},
      {"single-part-pdf-message-is-section-1",
       with_disposition(leaf("", "application", "pdf"), "attachment", "only.pdf"),
       {},
       {{"1", "only.pdf", "application/pdf", false}}},
      {"smime-signature-is-attachment",
       multipart("", "signed",
                 {leaf("1", "text", "plain"), with_name(leaf("2", "application", "pkcs7-signature"), "smime.p7s")}),
       {},
       {{"2", "smime.p7s", "application/pkcs7-signature", false}}},
      {"calendar-body-without-name-is-body",
       multipart("", "alternative", {leaf("1", "text", "plain"), leaf("2", "text", "calendar")}),
       {},
       {}},
      {"empty-multipart-has-no-attachments", multipart("", "mixed", {}), {}, {}},
  };
}

TEST(ClassifyAttachments, Table) {
  for (const ClassifyCase& row : classify_cases()) {
    const std::vector<Attachment> found =
        classify_attachments(row.root, row.html_cids.empty() ? nullptr : &row.html_cids);
    ASSERT_EQ(found.size(), row.expected.size()) << row.name;
    for (std::size_t i = 0; i < found.size(); ++i) {
      EXPECT_EQ(found[i].section, row.expected[i].section) << row.name;
      EXPECT_EQ(found[i].name, row.expected[i].name) << row.name;
      EXPECT_EQ(found[i].content_type, row.expected[i].content_type) << row.name;
      EXPECT_EQ(found[i].is_inline, row.expected[i].is_inline) << row.name;
    }
  }
}

TEST(ClassifyAttachments, CopiesPartFieldsAndSizes) {
  MimePart pdf = with_disposition(leaf("2", "application", "pdf"), "attachment", "a.pdf");
  pdf.transfer_encoding = "base64";
  pdf.content_id = "x@y";
  pdf.encoded_size = 780;
  pdf.sha256 = std::string(64, 'a');
  pdf.damaged = true;
  MimePart exact = with_name(leaf("3", "image", "png"), "b.png");
  exact.encoded_size = 1000;
  exact.decoded_size = 700;
  MimePart unknown = with_name(leaf("4", "image", "png"), "c.png");
  const MimePart root = multipart("", "mixed", {leaf("1", "text", "plain"), pdf, exact, unknown});
  const std::vector<Attachment> found = classify_attachments(root);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].transfer_encoding, "base64");
  EXPECT_EQ(found[0].content_id, "x@y");
  EXPECT_EQ(found[0].size, 570u);
  EXPECT_FALSE(found[0].size_exact);
  EXPECT_EQ(found[0].sha256, std::string(64, 'a'));
  EXPECT_TRUE(found[0].damaged);
  EXPECT_EQ(found[1].size, 700u);
  EXPECT_TRUE(found[1].size_exact);
  EXPECT_EQ(found[2].size, 0u);
  EXPECT_FALSE(found[2].size_exact);
}

struct EstimateCase {
  const char* name;
  std::uint64_t encoded;
  const char* encoding;
  std::uint64_t size;
  bool exact;
};

TEST(EstimateDecodedSize, Table) {
  const std::vector<EstimateCase> rows = {
      {"base64-ten-full-crlf-lines", 780, "base64", 570, false},
      {"base64-partial-line", 78 + 8, "BASE64", 57 + 6, false},
      {"base64-short", 4, "base64", 3, false},
      {"base64-empty", 0, "base64", 0, false},
      {"base64-two-chars", 2, "base64", 1, false},
      {"qp-encoded-size", 1234, "quoted-printable", 1234, false},
      {"7bit-as-is", 1234, "7bit", 1234, true},
      {"8bit-as-is", 1234, "8bit", 1234, true},
      {"binary-as-is", 1234, "binary", 1234, true},
      {"no-header-means-7bit", 1234, "", 1234, true},
      {"uuencode-unknown", 1234, "x-uuencode", 1234, false},
  };
  for (const EstimateCase& row : rows) {
    const SizeEstimate estimate = estimate_decoded_size(row.encoded, row.encoding);
    EXPECT_EQ(estimate.size, row.size) << row.name;
    EXPECT_EQ(estimate.exact, row.exact) << row.name;
  }
}

struct ProtectionCase {
  const char* name;
  MimePart root;
  bool signed_or_encrypted;
  bool calendar;
  bool tnef;
};

TEST(MessageProtection, Table) {
  const std::vector<ProtectionCase> rows = {
      {"plain-message", multipart("", "mixed", {leaf("1", "text", "plain")}), false, false, false},
      {"smime-multipart-signed",
       multipart("", "signed", {leaf("1", "text", "plain"), leaf("2", "application", "pkcs7-signature")}), true, false,
       false},
      {"pgp-multipart-encrypted",
       multipart("", "encrypted",
                 {leaf("1", "application", "pgp-encrypted"), leaf("2", "application", "octet-stream")}),
       true, false, false},
      {"outlook-smime-opaque", leaf("1", "application", "pkcs7-mime"), true, false, false},
      {"old-smime-x-pkcs7-mime", leaf("1", "application", "x-pkcs7-mime"), true, false, false},
      {"outlook-calendar-invitation",
       multipart("", "mixed",
                 {multipart("1", "alternative", {leaf("1.1", "text", "plain"), leaf("1.2", "text", "calendar")}),
                  with_name(leaf("2", "application", "ics"), "invite.ics")}),
       false, true, false},
      {"outlook-tnef-winmail",
       multipart("", "mixed",
                 {leaf("1", "text", "plain"), with_name(leaf("2", "application", "ms-tnef"), "winmail.dat")}),
       false, false, true},
      {"winmail-dat-as-octet-stream",
       multipart("", "mixed",
                 {leaf("1", "text", "plain"),
                  with_disposition(leaf("2", "application", "octet-stream"), "attachment", "WINMAIL.DAT")}),
       false, false, true},
      {"forwarded-signed-message-does-not-protect",
       multipart("", "mixed",
                 {leaf("1", "text", "plain"),
                  [] {
                    MimePart message = leaf("2", "message", "rfc822");
                    message.children.push_back(multipart("2.1", "signed", {}));
                    return message;
                  }()}),
       false, false, false},
  };
  for (const ProtectionCase& row : rows) {
    const MessageProtection protection = message_protection(row.root);
    EXPECT_EQ(protection.signed_or_encrypted, row.signed_or_encrypted) << row.name;
    EXPECT_EQ(protection.calendar_invitation, row.calendar) << row.name;
    EXPECT_EQ(protection.tnef, row.tnef) << row.name;
    EXPECT_EQ(protection.any(), row.signed_or_encrypted || row.calendar || row.tnef) << row.name;
  }
}

TEST(ContentIds, NormalisedForComparison) {
  EXPECT_EQ(normalize_content_id(" <Logo@Example.COM> "), "logo@example.com");
  EXPECT_EQ(normalize_content_id("cid:part1%40example"), "part1@example");
  CidSet cids;
  add_cid_references(
      "<img src=\"cid:image001.png@01D9\"><img src='CID:Two@x'>"
      "<div style=\"background:url(cid:three@x)\"></div>&lt;a href=&quot;cid:four@x&quot;"
      " cid: cid:",
      cids);
  EXPECT_EQ(cids, (CidSet{"image001.png@01d9", "two@x", "three@x", "four@x"}));
}

}  // namespace
}  // namespace mailprune::mime
