// Duplicate hashing: what is read, and how much, for which collisions; reuse; estimated sizes.
#include <gtest/gtest.h>

#include "inventory_test_support.hpp"
#include "report/report.hpp"

namespace mailprune::test {
namespace {

TEST(Hashing, ReadsOnlyWhatCollides) {
  FakeConnector fake;
  populate(fake);
  TestDb db(sample_agents());
  auto summary = db.crawl(fake);
  // Size 150000 (d1 x3): 3 prefix reads, equal prefixes: 3 full reads.
  // Size 3000 (d2 x3): 3 prefix reads that are the whole content: no full read.
  // Size 100000 (d3 x2, a different prefix, d3's prefix with another tail): 4 prefix reads, the
  // three sharing d3's prefix read in full. Size 12345: alone, never read.
  EXPECT_EQ(fake.prefix_reads.load(), 10u);
  EXPECT_EQ(fake.full_reads.load(), 6u);
  // Full reads resume after the prefix (its hash state was kept): the first 64 KiB travel once.
  const std::uint64_t bytes = 7 * 65536 + 3 * 3000 + 3 * (150000 - 65536) + 3 * (100000 - 65536);
  EXPECT_EQ(fake.content_bytes.load(), bytes);
  EXPECT_EQ(summary.bytes_hashed, bytes) << "TrafficStats.bytes_for_content is reported";
  EXPECT_EQ(summary.hashing.prefix_reads, 10u);
  EXPECT_EQ(summary.hashing.full_reads, 6u);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM attachment WHERE size = 12345 AND prefix_sha256 IS NULL"), 1);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM attachment WHERE sha256 IS NOT NULL"), 9);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM attachment WHERE size = 3000 AND sha256 = prefix_sha256"), 3);
  EXPECT_EQ(summary.duplicate_groups, 3u);
}

TEST(Hashing, HashesAreReusedOnLaterCrawls) {
  FakeConnector fake;
  populate(fake);
  TestDb db(sample_agents());
  db.crawl(fake);
  fake.reset_counters();
  auto again = db.crawl(fake);
  EXPECT_EQ(fake.prefix_reads + fake.full_reads, 0u);
  EXPECT_EQ(again.messages, 0u) << "nothing changed: nothing sent";
  inventory::CrawlOptions full;
  full.full = true;
  auto rescan = db.crawl(fake, full);
  EXPECT_EQ(rescan.messages, 9u);
  EXPECT_EQ(fake.prefix_reads + fake.full_reads, 0u) << "same UIDVALIDITY/UID/section: hashes kept";
  EXPECT_EQ(db.scalar("SELECT count(*) FROM attachment WHERE sha256 IS NOT NULL"), 9);
}

TEST(Hashing, NewCopyCostsOnlyItsOwnReads) {
  FakeConnector fake;
  Sample s = populate(fake);
  TestDb db(sample_agents());
  db.crawl(fake);
  fake.reset_counters();
  fake.add("carol@example.org", "INBOX", FakeMessage{0, "again", {}, {attachment("2", "r.pdf", s.d1)}});
  auto summary = db.crawl(fake);
  EXPECT_EQ(fake.prefix_reads.load(), 1u);
  EXPECT_EQ(fake.full_reads.load(), 1u);
  EXPECT_EQ(fake.content_bytes.load(), 150000u) << "prefix, then the rest from where it stopped";
  auto c = db.connect();
  EXPECT_EQ(report::query_summary(*c, {}).reclaimable_bytes, truth_of(fake).reclaimable_bytes);
  EXPECT_EQ(summary.duplicate_groups, 3u);
}

TEST(Hashing, EstimatedSizesNeverMissADuplicate) {
  FakeConnector fake;
  const std::string e1 = content(90000, 20), e2 = content(5000, 21), e3 = content(70000, 22);
  auto one = [](FakeAttachment a) { return FakeMessage{0, "m", {}, {std::move(a)}}; };
  // base64-like estimate 2% over; quoted-printable upper bound 3x the decoded size; unknown (0).
  fake.add("alice@example.org", "INBOX", one(attachment("2", "a", e1)));
  fake.add("bob@example.org", "INBOX", one(attachment("2", "a", e1, 91800)));
  fake.add("alice@example.org", "INBOX", one(attachment("2", "b", e2, 15000)));
  fake.add("bob@example.org", "INBOX", one(attachment("2", "b", e2)));
  fake.add("alice@example.org", "INBOX", one(attachment("2", "c", e3, 0)));
  fake.add("bob@example.org", "INBOX", one(attachment("2", "c", e3)));
  fake.add("bob@example.org", "INBOX", one(attachment("2", "d", content(200000, 23))));  // far from all
  TestDb db(agents({{"alice@example.org", "t"}, {"bob@example.org", "t"}}));
  auto summary = db.crawl(fake);
  Truth t = truth_of(fake);
  EXPECT_EQ(summary.duplicate_groups, static_cast<std::uint64_t>(t.duplicate_groups));
  auto c = db.connect();
  report::Summary s = report::query_summary(*c, {});
  EXPECT_EQ(s.duplicate_groups, 3);
  EXPECT_EQ(s.reclaimable_bytes, t.reclaimable_bytes);
  EXPECT_EQ(s.attachment_bytes, t.attachment_bytes) << "estimates were replaced by the sizes read";
  EXPECT_EQ(db.scalar("SELECT count(*) FROM attachment WHERE NOT size_exact"), 0);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM attachment WHERE size = 200000 AND prefix_sha256 IS NULL"), 1)
      << "an attachment outside every estimate's bounds is still never read";
  EXPECT_EQ(db.scalar("SELECT sum(attachment_bytes) FROM folder"), t.attachment_bytes);
}

TEST(Hashing, HashAllReadsEverythingOnce) {
  FakeConnector fake;
  populate(fake);
  TestDb db(sample_agents());
  inventory::CrawlOptions options;
  options.hash_all = true;
  auto summary = db.crawl(fake, options);
  Truth t = truth_of(fake);
  EXPECT_EQ(fake.prefix_reads.load(), 0u);
  EXPECT_EQ(fake.full_reads.load(), static_cast<std::uint64_t>(t.attachments));
  EXPECT_EQ(fake.content_bytes.load(), static_cast<std::uint64_t>(t.attachment_bytes));
  EXPECT_EQ(summary.duplicate_groups, static_cast<std::uint64_t>(t.duplicate_groups));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM attachment WHERE sha256 IS NULL"), 0);
}

TEST(Hashing, AFailedReadIsRecordedAndTheRestGoesOn) {
  FakeConnector fake;
  populate(fake);
  TestDb db(sample_agents());
  fake.fail_when = [](const std::string& op, const std::string& mailbox) {
    if (op == "read" && mailbox == "carol@example.org") {
      throw ConnectorError(ConnectorError::Kind::refused, "NO [SERVERBUG]");
    }
  };
  auto summary = db.crawl(fake);
  EXPECT_EQ(summary.mailboxes_done, 3u);
  EXPECT_EQ(summary.hashing.errors, 3u) << "carol's two d2 and one d3, each tried once";
  EXPECT_EQ(db.scalar("SELECT count(*) FROM crawl_error WHERE message LIKE '%SERVERBUG%'"), 3);
  EXPECT_EQ(summary.duplicate_groups, 1u) << "only d1 is left with two hashed copies";
}

}  // namespace
}  // namespace mailprune::test
