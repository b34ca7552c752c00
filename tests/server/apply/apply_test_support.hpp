// apply_test_support.hpp: a fresh database per test (the harness's PostgreSQL), an inventory of a
// FakeMailServer crawled by the real Crawler, a campaign with approved proposals written by plain
// SQL from that inventory (the planner has its own tests), and the engine wired to the fake, a
// throwaway archive store and a link maker.
#pragma once

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <memory>
#include <string>
#include <vector>

#include "apply/engine.hpp"
#include "archive/store.hpp"
#include "db/database.hpp"
#include "fake_mailbox.hpp"
#include "harness/postgres_server.hpp"
#include "harness/temp_dir.hpp"
#include "inventory/crawl.hpp"

namespace mailprune::test {

class ApplyFixture {
 public:
  explicit ApplyFixture(const std::vector<std::string>& addresses, int max_connections = 2)
      : dir_("apply"), store_(dir_ / "archive") {
    url_ = PostgresServer::shared().create_database();
    config_.data_dir = dir_ / "data";
    config_.database.url = url_;
    config_.database.password = config::Secret(PostgresServer::shared().password(), "the test server");
    config::SourceConfig source;
    source.name = "fake";
    source.kind = "imap";
    source.max_connections = max_connections;
    for (const auto& address : addresses) {
      config::Agent agent;
      agent.address = address;
      agent.display_name = "Agent " + address;
      agent.team = "t";
      agent.language = address.rfind("en-", 0) == 0 ? "en" : "fr";
      source.mailboxes.push_back(agent);
    }
    config_.sources.push_back(source);
    db::Database database(config_);
    database.connect_migrated();
  }

  FakeMailServer server;

  std::unique_ptr<pqxx::connection> connect() const { return std::make_unique<pqxx::connection>(url_); }

  void crawl() {
    inventory::CrawlOptions options;
    options.retry_backoff = std::chrono::milliseconds(1);
    inventory::Crawler crawler(config_, factory(), connectors());
    auto summary = crawler.run(options);
    ASSERT_EQ(summary.mailboxes_failed, 0u);
  }

  // A campaign whose every attachment of at least `min_size` bytes is an approved detach proposal.
  int detach_campaign(const std::string& name, std::uint64_t min_size, int grace_days = 30) {
    const int id = campaign(name, grace_days);
    exec(
        "INSERT INTO proposal (campaign_id, rule_name, rule_priority, action, approval, selected, decision, "
        " mailbox_id, message_row_id, attachment_row_id, folder_name, uidvalidity, uid, item_id, change_key, "
        " internet_message_id, message_date, from_address, subject, message_size, section, attachment_name, "
        " content_type, sha256, bytes) "
        "SELECT " +
        std::to_string(id) +
        ", 'big', 1, 'detach', 'auto', true, 'approved', m.mailbox_id, m.id, a.id, f.name, f.uidvalidity, m.uid, "
        " m.item_id, m.change_key, m.message_id, m.sent_date, m.from_address, m.subject, m.size, a.section, a.name, "
        " a.content_type, a.sha256, a.size FROM attachment a JOIN message m ON m.id = a.message_id "
        " JOIN folder f ON f.id = m.folder_id WHERE a.size >= " +
        std::to_string(min_size));
    return id;
  }

  // Approved archive or delete proposals for the messages whose Message-ID is in `message_ids`.
  void message_proposals(int campaign_id, const std::string& action, const std::vector<std::string>& message_ids,
                         const std::string& rule = "old") {
    std::string list;
    for (const auto& id : message_ids) list += (list.empty() ? "'" : ",'") + id + "'";
    exec(
        "INSERT INTO proposal (campaign_id, rule_name, rule_priority, action, approval, selected, decision, "
        " mailbox_id, message_row_id, folder_name, uidvalidity, uid, item_id, change_key, internet_message_id, "
        " message_date, from_address, subject, message_size, bytes) "
        "SELECT " +
        std::to_string(campaign_id) + ", '" + rule + "', 1, '" + action +
        "', 'auto', true, 'approved', m.mailbox_id, m.id, f.name, f.uidvalidity, m.uid, m.item_id, m.change_key, "
        " m.message_id, m.sent_date, m.from_address, m.subject, m.size, m.size FROM message m "
        " JOIN folder f ON f.id = m.folder_id WHERE m.message_id IN (" +
        list + ")");
  }

  int campaign(const std::string& name, int grace_days = 30, const std::string& rules = "[]") {
    auto c = connect();
    pqxx::work tx(*c);
    int id = tx.exec_params1("INSERT INTO campaign (name, grace_days, rules) VALUES ($1, $2, $3::jsonb) RETURNING id",
                             name, grace_days, rules)[0]
                 .as<int>();
    tx.commit();
    return id;
  }

  void exec(const std::string& sql) const {
    auto c = connect();
    pqxx::work tx(*c);
    tx.exec(sql);
    tx.commit();
  }
  std::int64_t scalar(const std::string& sql) const {
    auto c = connect();
    pqxx::read_transaction tx(*c);
    return tx.exec1(sql)[0].as<std::int64_t>();
  }
  std::vector<std::string> strings(const std::string& sql) const {
    auto c = connect();
    pqxx::read_transaction tx(*c);
    std::vector<std::string> out;
    for (const auto& row : tx.exec(sql)) out.push_back(row[0].is_null() ? "" : row[0].as<std::string>());
    return out;
  }

  apply::RunSummary run(apply::RunOptions options) {
    options.retry_backoff = std::chrono::milliseconds(1);
    apply::EngineContext context;
    context.config = &config_;
    context.connections = factory();
    context.connectors = connectors();
    context.store = &store_;
    context.make_link = [](std::int64_t reference, const connector::Sha256& sha256, const std::string&, std::int64_t) {
      return "https://mailprune.test/archive/" + std::to_string(reference) + "/" + archive::to_hex(sha256);
    };
    return apply::run(context, options);
  }
  apply::RunSummary apply(const std::string& campaign) {
    apply::RunOptions options;
    options.campaign = campaign;
    return run(options);
  }

  config::Config& config() { return config_; }
  const archive::ArchiveStore& store() const { return store_; }

 private:
  inventory::ConnectionFactory factory() const {
    std::string u = url_;
    return [u] { return std::make_unique<pqxx::connection>(u); };
  }
  inventory::ConnectorFactory connectors() {
    return [this](const config::SourceConfig&) {
      return std::unique_ptr<connector::Connector>(std::make_unique<Forward>(server));
    };
  }
  struct Forward : connector::Connector {
    explicit Forward(FakeMailServer& s) : server(s) {}
    std::string kind() const override { return server.kind(); }
    std::unique_ptr<connector::MailboxSession> open(const std::string& m) override { return server.open(m); }
    FakeMailServer& server;
  };

  TempDir dir_;
  archive::ArchiveStore store_;
  std::string url_;
  config::Config config_;
};

// A message with `attachments` parts "2", "3", ... of the given sizes (deterministic content).
inline FakeMail mail_with(const std::string& message_id, const std::vector<std::size_t>& attachments) {
  FakeMail mail;
  mail.message_id = message_id;
  mail.flags = {"\\Seen"};
  for (std::size_t i = 0; i < attachments.size(); ++i) {
    FakePart part;
    part.section = std::to_string(i + 2);
    part.name = message_id + "-" + std::to_string(i) + ".pdf";
    part.header = "Content-Type: application/pdf; name=\"" + part.name +
                  "\"\r\nContent-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n";
    for (std::size_t n = 0; n < attachments[i]; ++n)
      part.content += static_cast<char>('a' + (n * 7 + i + message_id.size()) % 26);
    mail.parts.push_back(std::move(part));
  }
  return mail;
}

}  // namespace mailprune::test
