// Reports over a crawled sample: figures against the truth, duplicates with their copies, the
// three formats, and the filters.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <nlohmann/json.hpp>

#include "inventory_test_support.hpp"
#include "report/report.hpp"

namespace mailprune::test {
namespace {

using report::ReportFormat;
using report::ReportKind;

std::string sha_hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  std::string out;
  for (unsigned char c : digest) out += fmt::format("{:02x}", c);
  return out;
}

class Reports : public ::testing::Test {
 protected:
  void SetUp() override {
    sample_ = populate(fake_);
    db_ = std::make_unique<TestDb>(sample_agents());
    db_->crawl(fake_);
    connection_ = db_->connect();
  }
  std::string run(ReportKind kind, ReportFormat format, report::ReportFilter filter = {}) {
    return report::run_report(*connection_, kind, format, filter);
  }

  FakeConnector fake_;
  Sample sample_;
  std::unique_ptr<TestDb> db_;
  std::unique_ptr<pqxx::connection> connection_;
};

TEST_F(Reports, SummaryJsonIsTheTruthWithExactIntegers) {
  auto json = nlohmann::json::parse(run(ReportKind::summary, ReportFormat::json));
  Truth t = truth_of(fake_);
  EXPECT_EQ(json["mailboxes"].get<std::int64_t>(), t.mailboxes);
  EXPECT_EQ(json["folders"].get<std::int64_t>(), t.folders);
  EXPECT_EQ(json["messages"].get<std::int64_t>(), t.messages);
  EXPECT_EQ(json["message_bytes"].get<std::int64_t>(), t.message_bytes);
  EXPECT_EQ(json["attachments"].get<std::int64_t>(), t.attachments);
  EXPECT_EQ(json["attachment_bytes"].get<std::int64_t>(), t.attachment_bytes);
  EXPECT_EQ(json["duplicate_groups"].get<std::int64_t>(), t.duplicate_groups);
  EXPECT_EQ(json["duplicate_attachments"].get<std::int64_t>(), t.duplicate_attachments);
  EXPECT_EQ(json["reclaimable_bytes"].get<std::int64_t>(), t.reclaimable_bytes);
  EXPECT_TRUE(json["attachment_bytes"].is_number_integer());
}

TEST_F(Reports, DuplicatesJsonListsEveryCopyLargestFirst) {
  auto json = nlohmann::json::parse(run(ReportKind::duplicates, ReportFormat::json));
  ASSERT_EQ(json.size(), 3u);
  EXPECT_EQ(json[0]["sha256"], sha_hex(sample_.d1));
  EXPECT_EQ(json[0]["size"], 150000);
  EXPECT_EQ(json[0]["count"], 3);
  EXPECT_EQ(json[0]["reclaimable_bytes"], 300000);
  EXPECT_EQ(json[1]["sha256"], sha_hex(sample_.d3));
  EXPECT_EQ(json[2]["sha256"], sha_hex(sample_.d2));
  ASSERT_EQ(json[0]["copies"].size(), 3u);
  const auto& copy = json[0]["copies"][0];
  EXPECT_EQ(copy["mailbox"], "alice@example.org");
  EXPECT_EQ(copy["folder"], "INBOX");
  EXPECT_EQ(copy["uid"], sample_.uids["m1"]);
  EXPECT_EQ(copy["name"], "report.pdf");
  EXPECT_TRUE(copy["item_id"].is_null());
  // Carol's message holds d2 twice: two copies of the same UID.
  int carol = 0;
  for (const auto& c : json[2]["copies"]) carol += c["mailbox"] == "carol@example.org";
  EXPECT_EQ(carol, 2);
}

TEST_F(Reports, TableAndCsvFormats) {
  std::string table = run(ReportKind::duplicates, ReportFormat::table);
  EXPECT_NE(table.find("150.0 kB"), std::string::npos) << table;
  EXPECT_NE(table.find(sha_hex(sample_.d1).substr(0, 12)), std::string::npos) << table;
  std::string csv = run(ReportKind::duplicates, ReportFormat::csv);
  EXPECT_EQ(csv.rfind("sha256,size,count,reclaimable_bytes,mailbox,folder,uid,item_id,name\r\n", 0), 0u) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 3 + 2 + 3) << csv;
  EXPECT_NE(csv.find(sha_hex(sample_.d1) + ",150000,3,300000,alice@example.org,INBOX,"), std::string::npos) << csv;

  std::string summary = run(ReportKind::summary, ReportFormat::table);
  EXPECT_NE(summary.find("reclaimable_bytes"), std::string::npos);
  std::string summary_csv = run(ReportKind::summary, ReportFormat::csv);
  EXPECT_NE(summary_csv.find("mailboxes,folders,messages,message_bytes"), std::string::npos) << summary_csv;

  std::string mailboxes = run(ReportKind::mailboxes, ReportFormat::table);
  EXPECT_NE(mailboxes.find("ATTACHMENT_BYTES"), std::string::npos) << mailboxes;
  auto mailboxes_json = nlohmann::json::parse(run(ReportKind::mailboxes, ReportFormat::json));
  ASSERT_EQ(mailboxes_json.size(), 3u);
  EXPECT_EQ(mailboxes_json[0]["mailbox"], "bob@example.org") << "largest attachment bytes first (450000)";
  EXPECT_EQ(mailboxes_json[0]["team"], "sales");
  EXPECT_EQ(mailboxes_json[0]["attachment_bytes"], 450000);
  auto folders = nlohmann::json::parse(run(ReportKind::folders, ReportFormat::json));
  EXPECT_EQ(folders.size(), 6u);
  std::int64_t attachment_bytes = 0;
  for (const auto& f : folders) attachment_bytes += f["attachment_bytes"].get<std::int64_t>();
  EXPECT_EQ(attachment_bytes, truth_of(fake_).attachment_bytes);
}

TEST_F(Reports, FiltersAndTop) {
  report::ReportFilter support{"support", "", std::nullopt};
  auto json = nlohmann::json::parse(run(ReportKind::summary, ReportFormat::json, support));
  Truth carol = truth_of(fake_, {"carol@example.org"});
  EXPECT_EQ(json["messages"], carol.messages);
  EXPECT_EQ(json["duplicate_groups"], carol.duplicate_groups);
  EXPECT_EQ(json["reclaimable_bytes"], carol.reclaimable_bytes);

  report::ReportFilter alice{"", "ALICE@example.org", std::nullopt};
  json = nlohmann::json::parse(run(ReportKind::summary, ReportFormat::json, alice));
  Truth a = truth_of(fake_, {"alice@example.org"});
  EXPECT_EQ(json["attachment_bytes"], a.attachment_bytes);
  EXPECT_EQ(json["duplicate_groups"], a.duplicate_groups);

  report::ReportFilter top1{"", "", 1};
  auto groups = nlohmann::json::parse(run(ReportKind::duplicates, ReportFormat::json, top1));
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0]["sha256"], sha_hex(sample_.d1));
  report::ReportFilter top2{"sales", "", 2};
  auto attachments = nlohmann::json::parse(run(ReportKind::attachments, ReportFormat::json, top2));
  ASSERT_EQ(attachments.size(), 2u);
  EXPECT_EQ(attachments[0]["size"], 150000);
  EXPECT_EQ(attachments[1]["size"], 150000);
  EXPECT_EQ(attachments[0]["sha256"], sha_hex(sample_.d1));

  EXPECT_THROW(run(ReportKind::summary, ReportFormat::json, {"nope", "", std::nullopt}), report::ReportFilterError);
  EXPECT_THROW(run(ReportKind::summary, ReportFormat::json, {"", "who@x", std::nullopt}), report::ReportFilterError);
}

}  // namespace
}  // namespace mailprune::test
