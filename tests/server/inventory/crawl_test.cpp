// Crawl and store: first crawl against the truth, incremental equals full, UIDVALIDITY change,
// a failure mid-mailbox keeps the previous inventory, retries and recorded failures.
#include <gtest/gtest.h>
#include <unistd.h>

#include "inventory_test_support.hpp"
#include "platform/process.hpp"
#include "report/report.hpp"

namespace mailprune::test {
namespace {

void expect_summary_is_truth(const TestDb& db, const Truth& t) {
  auto c = db.connect();
  report::Summary s = report::query_summary(*c, {});
  EXPECT_EQ(s.mailboxes, t.mailboxes);
  EXPECT_EQ(s.folders, t.folders);
  EXPECT_EQ(s.messages, t.messages);
  EXPECT_EQ(s.message_bytes, t.message_bytes);
  EXPECT_EQ(s.attachments, t.attachments);
  EXPECT_EQ(s.attachment_bytes, t.attachment_bytes);
  EXPECT_EQ(s.duplicate_groups, t.duplicate_groups);
  EXPECT_EQ(s.duplicate_attachments, t.duplicate_attachments);
  EXPECT_EQ(s.reclaimable_bytes, t.reclaimable_bytes);
}

// The dump without hashes: which attachments are hashed depends on the history of collisions.
std::string dump_without_hashes(const TestDb& db) {
  std::string d = dump(db);
  std::string out;
  for (std::size_t i = 0; i < d.size(); ++i) {
    // Drop every 64-hex-digit run.
    std::size_t j = i;
    while (j < d.size() && std::isxdigit(static_cast<unsigned char>(d[j])) && j - i < 64) ++j;
    if (j - i == 64) {
      out += "#";
      i = j - 1;
    } else {
      out += d[i];
    }
  }
  return out;
}

TEST(Crawl, FirstCrawlMatchesTheTruth) {
  FakeConnector fake;
  populate(fake);
  TestDb db(sample_agents());
  auto summary = db.crawl(fake);
  EXPECT_EQ(summary.mailboxes_total, 3u);
  EXPECT_EQ(summary.mailboxes_done, 3u);
  EXPECT_EQ(summary.mailboxes_failed, 0u);
  EXPECT_EQ(summary.errors, 0u);
  EXPECT_EQ(summary.messages, 9u);
  EXPECT_EQ(summary.folders, 6u);
  EXPECT_EQ(summary.duplicate_groups, 3u);
  expect_summary_is_truth(db, truth_of(fake));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM crawl_run WHERE status = 'done' AND mode = 'incremental'"), 1);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM message WHERE seen"), 0);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM mailbox WHERE last_crawled_at IS NOT NULL"), 3);
}

TEST(Crawl, IncrementalAfterChangesEqualsAFreshFullCrawl) {
  FakeConnector fake;
  Sample s = populate(fake);
  TestDb db(sample_agents());
  db.crawl(fake);

  fake.add("alice@example.org", "INBOX", FakeMessage{0, "new", {}, {attachment("2", "data.csv", s.d3)}});
  fake.remove("bob@example.org", "INBOX", s.uids["m5"]);
  fake.move("alice@example.org", "INBOX", s.uids["m2"], "Archive");
  fake.move("alice@example.org", "Sent", s.uids["m4"], "Archive");
  fake.set_flags("carol@example.org", "INBOX", s.uids["m8"], {"\\Seen", "\\Flagged"});
  fake.remove_folder("carol@example.org", "Trash");
  auto summary = db.crawl(fake);
  EXPECT_EQ(summary.mailboxes_done, 3u);
  EXPECT_EQ(summary.messages, 4u) << "only the new, moved and changed messages are sent";

  TestDb fresh(sample_agents());
  inventory::CrawlOptions full;
  full.full = true;
  fresh.crawl(fake, full);
  EXPECT_EQ(dump_without_hashes(db), dump_without_hashes(fresh));
  expect_summary_is_truth(db, truth_of(fake));
  expect_summary_is_truth(fresh, truth_of(fake));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM message WHERE seen AND flagged"), 1);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM folder WHERE name = 'Trash'"), 0);
}

TEST(Crawl, NewUidvalidityRescansTheFolder) {
  FakeConnector fake;
  populate(fake);
  TestDb db(sample_agents());
  db.crawl(fake);
  const auto old_uids = db.scalar(
      "SELECT sum(uid) FROM message m JOIN folder f ON f.id = m.folder_id"
      " WHERE f.name = 'INBOX' AND m.mailbox_id = (SELECT id FROM mailbox"
      " WHERE address = 'bob@example.org')");
  fake.renumber("bob@example.org", "INBOX");
  fake.reset_counters();
  db.crawl(fake);
  const auto new_uids = db.scalar(
      "SELECT sum(uid) FROM message m JOIN folder f ON f.id = m.folder_id"
      " WHERE f.name = 'INBOX' AND m.mailbox_id = (SELECT id FROM mailbox"
      " WHERE address = 'bob@example.org')");
  EXPECT_EQ(new_uids, old_uids + 3 * 100);
  EXPECT_EQ(db.scalar("SELECT uidvalidity FROM folder f JOIN mailbox mb ON mb.id = f.mailbox_id"
                      " WHERE mb.address = 'bob@example.org' AND f.name = 'INBOX'"),
            1001);
  EXPECT_GT(fake.prefix_reads + fake.full_reads, 0u) << "hashes under the old UIDVALIDITY are not reused";
  expect_summary_is_truth(db, truth_of(fake));
  TestDb fresh(sample_agents());
  fresh.crawl(fake);
  EXPECT_EQ(dump_without_hashes(db), dump_without_hashes(fresh));
}

TEST(Crawl, FailureMidMailboxKeepsThePreviousInventory) {
  FakeConnector fake;
  Sample s = populate(fake);
  TestDb db(sample_agents());
  db.crawl(fake);
  const std::string before = dump(db);

  fake.add("bob@example.org", "INBOX", FakeMessage{0, "b1", {}, {attachment("2", "x", content(4000, 50))}});
  fake.add("bob@example.org", "INBOX", FakeMessage{0, "b2", {}, {}});
  fake.set_flags("bob@example.org", "INBOX", s.uids["m6"], {"\\Seen"});
  std::atomic<int> bob_messages{0};
  fake.fail_when = [&](const std::string& op, const std::string& mailbox) {
    if (op == "message" && mailbox == "bob@example.org" && ++bob_messages == 2) throw std::runtime_error("boom");
  };
  auto summary = db.crawl(fake);
  EXPECT_EQ(summary.mailboxes_done, 2u);
  EXPECT_EQ(summary.mailboxes_failed, 1u);
  EXPECT_EQ(dump(db), before) << "bob's half-crawl left nothing behind";
  EXPECT_EQ(db.scalar("SELECT count(*) FROM crawl_error e JOIN mailbox mb ON mb.id = e.mailbox_id"
                      " WHERE mb.address = 'bob@example.org' AND e.message LIKE '%boom%'"),
            1);

  fake.fail_when = nullptr;
  db.crawl(fake);
  expect_summary_is_truth(db, truth_of(fake));
}

TEST(Crawl, RetriableFailureIsRetriedAuthenticationFailureIsRecorded) {
  FakeConnector fake;
  populate(fake);
  TestDb db(sample_agents());
  std::atomic<int> alice_crawls{0};
  std::atomic<int> bob_opens{0};
  fake.fail_when = [&](const std::string& op, const std::string& mailbox) {
    if (op == "crawl" && mailbox == "alice@example.org" && ++alice_crawls == 2) {
      throw ConnectorError(ConnectorError::Kind::connection, "connection reset");
    }
    if (op == "open" && mailbox == "bob@example.org") {
      ++bob_opens;
      throw ConnectorError(ConnectorError::Kind::authentication, "AUTHENTICATIONFAILED");
    }
  };
  auto summary = db.crawl(fake);
  EXPECT_EQ(summary.mailboxes_done, 2u);
  EXPECT_EQ(summary.mailboxes_failed, 1u);
  EXPECT_EQ(bob_opens.load(), 1) << "never retried";
  EXPECT_EQ(db.scalar("SELECT count(*) FROM crawl_error WHERE message LIKE '%AUTHENTICATIONFAILED%'"
                      " AND message LIKE 'mailbox not crawled%'"),
            1);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM crawl_error WHERE message LIKE '%connection reset%'"), 0)
      << "a retried attempt that then succeeded is not an error";
  EXPECT_EQ(db.scalar("SELECT errors FROM crawl_run"), 1);
  Truth t = truth_of(fake, {"alice@example.org", "carol@example.org"});
  auto c = db.connect();
  report::Summary s = report::query_summary(*c, {});
  EXPECT_EQ(s.messages, t.messages);
  EXPECT_EQ(s.mailboxes, 2);
}

TEST(Crawl, UnknownScopeIsRejectedBeforeAnything) {
  FakeConnector fake;
  TestDb db(sample_agents());
  inventory::CrawlOptions options;
  options.mailboxes = {"nobody@example.org"};
  EXPECT_THROW(db.crawl(fake, options), inventory::ScopeError);
  options.mailboxes.clear();
  options.source = "nope";
  EXPECT_THROW(db.crawl(fake, options), inventory::ScopeError);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM crawl_run"), 0);
}

TEST(Crawl, MailboxFilterCrawlsOnlyThose) {
  FakeConnector fake;
  populate(fake);
  TestDb db(sample_agents());
  inventory::CrawlOptions options;
  options.mailboxes = {"Carol@Example.org"};
  auto summary = db.crawl(fake, options);
  EXPECT_EQ(summary.mailboxes_total, 1u);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM mailbox WHERE last_crawled_at IS NOT NULL"), 1);
}

}  // namespace
}  // namespace mailprune::test

namespace mailprune::test {
namespace {

// A run left 'running' by a process that died (kill -9) is marked interrupted by the next crawl;
// one whose process still lives (this test process) is left alone.
TEST(Crawl, RunsOfDeadProcessesAreMarkedInterrupted) {
  FakeConnector fake;
  populate(fake);
  TestDb db(sample_agents());
  platform::SpawnOptions options;
  options.argv = {"true"};
  platform::Process gone = platform::spawn(options);
  int dead_pid = gone.pid();
  gone.wait();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  {
    auto c = db.connect();
    pqxx::work tx(*c);
    tx.exec_params("INSERT INTO crawl_run (mode, host, pid) VALUES ('full', $1, $2), ('full', $1, $3)",
                   std::string(host), dead_pid, static_cast<int>(::getppid()));
    tx.commit();
  }
  db.crawl(fake);
  EXPECT_EQ(
      db.scalar("SELECT count(*) FROM crawl_run WHERE status = 'interrupted' AND pid = " + std::to_string(dead_pid)),
      1);
  EXPECT_EQ(
      db.scalar("SELECT count(*) FROM crawl_run WHERE status = 'running' AND pid = " + std::to_string(::getppid())), 1);
}

}  // namespace
}  // namespace mailprune::test
