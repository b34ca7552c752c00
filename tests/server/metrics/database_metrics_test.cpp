// Metrics read from a real PostgreSQL at scrape time: inventory totals per source, crawl runs,
// open campaigns' proposals, actions and notifications (closed campaigns left out), the cache of
// the collector, and a database failure reported as a sample rather than a failed scrape.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <memory>
#include <stdexcept>
#include <string>

#include "config/config.hpp"
#include "db/database.hpp"
#include "exposition_parser.hpp"
#include "harness/postgres_server.hpp"
#include "metrics/database_metrics.hpp"
#include "metrics/exposition.hpp"

namespace mailprune::metrics {
namespace {

using testing::parse_exposition;
using testing::Parsed;

class DatabaseMetrics : public ::testing::Test {
 protected:
  DatabaseMetrics() {
    config::Config config;
    config.database.url = test::PostgresServer::shared().create_database();
    config.database.password = config::Secret(test::PostgresServer::shared().password(), "the test server");
    db::Database database(config);
    connection_ = database.connect_migrated();
  }

  void exec(const std::string& sql) {
    pqxx::work tx(*connection_);
    tx.exec(sql);
    tx.commit();
  }

  Parsed scrape() {
    pqxx::read_transaction tx(*connection_);
    return parse_exposition(render_text(collect_database_metrics(tx)));
  }

  WithConnection lender() {
    return [this](const std::function<void(pqxx::connection&)>& work) { work(*connection_); };
  }

  // Two sources, three mailboxes; a crawl run per source plus one running; campaigns "spring"
  // (collecting) and "old" (closed), each with proposals, actions and notifications.
  void fill() {
    exec(R"SQL(
      INSERT INTO source (name, kind) VALUES ('imap "main"', 'imap'), ('exchange', 'ews');
      INSERT INTO mailbox (source_id, address, folder_count, message_count, message_bytes, attachment_count,
                           attachment_bytes, last_crawled_at)
        VALUES (1, 'a@example.org', 3, 100, 5000000, 40, 4000000, now()),
               (1, 'b@example.org', 2, 50, 1000000, 10, 500000, now()),
               (2, 'c@example.org', 0, 0, 0, 0, 0, NULL);
      INSERT INTO crawl_run (source_id, mode, status, finished_at, messages, bytes_received, bytes_hashed, errors)
        VALUES (1, 'full', 'done', to_timestamp(1700000000), 150, 80000, 60000, 2),
               (1, 'incremental', 'done', to_timestamp(1700003600), 10, 2000, 0, 0),
               (1, 'incremental', 'running', NULL, 999, 999, 999, 9),
               (2, 'full', 'failed', to_timestamp(1700000100), 0, 10, 0, 1);
      INSERT INTO campaign (name, target_bytes, state) VALUES ('spring', 1000000, 'collecting'), ('old', NULL, 'closed');
    )SQL");
    // Proposals: spring has 2 approved (300 bytes), 1 refused (50), 1 pending (70) and one not
    // selected; old has one approved.
    exec(R"SQL(
      INSERT INTO proposal (campaign_id, rule_name, rule_priority, action, approval, selected, decision, mailbox_id,
                            folder_name, uid, message_size, bytes)
        VALUES (1, 'r', 1, 'detach', 'opt-out', true, 'approved', 1, 'INBOX', 1, 1000, 100),
               (1, 'r', 1, 'detach', 'opt-out', true, 'approved', 1, 'INBOX', 2, 1000, 200),
               (1, 'r', 1, 'detach', 'opt-out', true, 'refused', 2, 'INBOX', 3, 1000, 50),
               (1, 'r', 1, 'detach', 'opt-out', true, 'pending', 2, 'INBOX', 4, 1000, 70),
               (1, 'r', 1, 'detach', 'opt-out', false, 'pending', 2, 'INBOX', 5, 1000, 999),
               (2, 'r', 1, 'delete', 'auto', true, 'approved', 1, 'INBOX', 6, 1000, 5);
      INSERT INTO action (campaign_id, kind, mailbox_id, folder_name, uid, step, bytes_estimated)
        VALUES (1, 'detach', 1, 'INBOX', 1, 'done', 100), (1, 'detach', 1, 'INBOX', 2, 'done', 200),
               (1, 'detach', 2, 'INBOX', 4, 'failed', 70), (2, 'delete', 1, 'INBOX', 6, 'done', 5);
      INSERT INTO apply_run (campaign_id, status) VALUES (1, 'running'), (1, 'done');
      INSERT INTO agent (address) VALUES ('a@example.org'), ('b@example.org');
      INSERT INTO notification (campaign_id, agent_id, kind, recipient, language, status)
        VALUES (1, 1, 'review', 'a@example.org', 'fr', 'sent'), (1, 2, 'review', 'b@example.org', 'fr', 'pending'),
               (2, 1, 'review', 'a@example.org', 'fr', 'sent');
    )SQL");
  }

  std::unique_ptr<pqxx::connection> connection_;
};

TEST_F(DatabaseMetrics, EmptyDatabaseGivesFamiliesWithoutSamples) {
  Parsed parsed = scrape();
  EXPECT_EQ(parsed.families["mailprune_mailboxes"].type, "gauge");
  EXPECT_TRUE(parsed.families["mailprune_mailboxes"].samples.empty());
  EXPECT_EQ(parsed.families["mailprune_crawl_messages_total"].type, "counter");
  EXPECT_EQ(parsed.value("mailprune_apply_runs_running"), 0);
}

TEST_F(DatabaseMetrics, InventoryAndCrawlsPerSource) {
  fill();
  Parsed parsed = scrape();
  std::vector<std::pair<std::string, std::string>> main{{"source", "imap \"main\""}};
  std::vector<std::pair<std::string, std::string>> exchange{{"source", "exchange"}};
  EXPECT_EQ(parsed.value("mailprune_mailboxes", main), 2);
  EXPECT_EQ(parsed.value("mailprune_mailboxes", exchange), 1);
  EXPECT_EQ(parsed.value("mailprune_mailboxes_crawled", exchange), 0);
  EXPECT_EQ(parsed.value("mailprune_inventory_folders", main), 5);
  EXPECT_EQ(parsed.value("mailprune_inventory_messages", main), 150);
  EXPECT_EQ(parsed.value("mailprune_inventory_message_bytes", main), 6000000);
  EXPECT_EQ(parsed.value("mailprune_inventory_attachments", main), 50);
  EXPECT_EQ(parsed.value("mailprune_inventory_attachment_bytes", main), 4500000);
  EXPECT_EQ(parsed.value("mailprune_inventory_attachment_bytes", exchange), 0);

  // Finished runs only in the counters; the running one counts as running.
  EXPECT_EQ(parsed.value("mailprune_crawl_messages_total", main), 160);
  EXPECT_EQ(parsed.value("mailprune_crawl_received_bytes_total", main), 82000);
  EXPECT_EQ(parsed.value("mailprune_crawl_hashed_bytes_total", main), 60000);
  EXPECT_EQ(parsed.value("mailprune_crawl_errors_total", main), 2);
  EXPECT_EQ(parsed.value("mailprune_crawl_errors_total", exchange), 1);
  EXPECT_EQ(parsed.value("mailprune_crawl_runs_running", main), 1);
  EXPECT_EQ(parsed.value("mailprune_crawl_runs_running", exchange), 0);
  EXPECT_EQ(parsed.value("mailprune_crawl_last_success_timestamp_seconds", main), 1700003600);
  EXPECT_THROW(parsed.value("mailprune_crawl_last_success_timestamp_seconds", exchange), std::runtime_error)
      << "no successful run: no sample";
}

TEST_F(DatabaseMetrics, OpenCampaignsProposalsActionsAndQueue) {
  fill();
  Parsed parsed = scrape();
  auto spring = [](std::vector<std::pair<std::string, std::string>> more) {
    more.insert(more.begin(), {"campaign", "spring"});
    return more;
  };
  EXPECT_EQ(parsed.value("mailprune_campaign_target_bytes", spring({})), 1000000);
  EXPECT_EQ(parsed.value("mailprune_campaign_info", spring({{"state", "collecting"}})), 1);
  EXPECT_EQ(parsed.value("mailprune_proposals", spring({{"decision", "approved"}})), 2);
  EXPECT_EQ(parsed.value("mailprune_proposal_bytes", spring({{"decision", "approved"}})), 300);
  EXPECT_EQ(parsed.value("mailprune_proposals", spring({{"decision", "refused"}})), 1);
  EXPECT_EQ(parsed.value("mailprune_proposals", spring({{"decision", "pending"}})), 1);  // the unselected one is out
  EXPECT_EQ(parsed.value("mailprune_proposal_bytes", spring({{"decision", "pending"}})), 70);
  EXPECT_EQ(parsed.value("mailprune_actions", spring({{"kind", "detach"}, {"step", "done"}})), 2);
  EXPECT_EQ(parsed.value("mailprune_action_bytes", spring({{"kind", "detach"}, {"step", "done"}})), 300);
  EXPECT_EQ(parsed.value("mailprune_actions", spring({{"kind", "detach"}, {"step", "failed"}})), 1);
  EXPECT_EQ(parsed.value("mailprune_apply_runs_running"), 1);
  EXPECT_EQ(parsed.value("mailprune_notifications", spring({{"status", "sent"}})), 1);
  EXPECT_EQ(parsed.value("mailprune_notifications", spring({{"status", "pending"}})), 1);
  // The closed campaign appears nowhere.
  for (const auto& [name, family] : parsed.families) {
    for (const auto& sample : family.samples) EXPECT_NE(sample.label("campaign"), "old") << name;
  }
}

TEST_F(DatabaseMetrics, CollectorCachesAndSurvivesDatabaseFailure) {
  fill();
  DatabaseCollectorOptions options;
  options.with_connection = lender();
  options.cache_for = std::chrono::hours(1);
  Collector cached = database_collector(options);
  auto first = parse_exposition(render_text(cached()));
  EXPECT_EQ(first.value("mailprune_database_metrics_up"), 1);
  EXPECT_GE(first.value("mailprune_database_metrics_duration_seconds"), 0);
  EXPECT_EQ(first.value("mailprune_mailboxes", {{"source", "exchange"}}), 1);
  exec("INSERT INTO mailbox (source_id, address) VALUES (2, 'd@example.org')");
  EXPECT_EQ(parse_exposition(render_text(cached())).value("mailprune_mailboxes", {{"source", "exchange"}}), 1)
      << "within cache_for: the same result";

  options.cache_for = std::chrono::milliseconds(0);
  Collector fresh = database_collector(options);
  EXPECT_EQ(parse_exposition(render_text(fresh())).value("mailprune_mailboxes", {{"source", "exchange"}}), 2);

  DatabaseCollectorOptions broken;
  broken.with_connection = [](const std::function<void(pqxx::connection&)>&) {
    throw pqxx::broken_connection("the database went away");
  };
  auto down = parse_exposition(render_text(database_collector(broken)()));
  EXPECT_EQ(down.value("mailprune_database_metrics_up"), 0);
  EXPECT_FALSE(down.has("mailprune_mailboxes"));
}

TEST_F(DatabaseMetrics, InARegistryAfterItsOwnFamilies) {
  fill();
  Registry registry;
  registry.counter("mailprune_http_requests_total", "Requests.", {"status"}).labels({"200"}).inc();
  DatabaseCollectorOptions options;
  options.with_connection = lender();
  registry.add_collector(database_collector(options));
  Parsed parsed = parse_exposition(registry.render());
  ASSERT_FALSE(parsed.order.empty());
  EXPECT_EQ(parsed.order.front(), "mailprune_http_requests_total");
  EXPECT_EQ(parsed.value("mailprune_database_metrics_up"), 1);
  EXPECT_EQ(parsed.value("mailprune_proposals", {{"campaign", "spring"}, {"decision", "approved"}}), 2);
}

}  // namespace
}  // namespace mailprune::metrics
