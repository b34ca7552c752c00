// Shared by the campaign and review tests: a fresh migrated database per test (the harness's
// throwaway PostgreSQL), inventory rows and proposals written directly (no crawl, no planner: the
// tests say exactly what each agent has), and a dump of every table to prove that something
// changed nothing.
#pragma once

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "campaign/campaign_store.hpp"
#include "config/config.hpp"
#include "db/database.hpp"
#include "harness/postgres_server.hpp"

namespace mailprune::test {

class CampaignDb {
 public:
  CampaignDb() {
    url_ = PostgresServer::shared().create_database();
    config_.database.url = url_;
    config_.database.password = config::Secret(PostgresServer::shared().password(), "the test server");
    db::Database database(config_);
    connection_ = database.connect_migrated();
  }

  pqxx::connection& connection() { return *connection_; }
  std::unique_ptr<pqxx::connection> connect() const { return std::make_unique<pqxx::connection>(url_); }
  const std::string& url() const { return url_; }
  config::Config& config() { return config_; }

  std::int64_t scalar(const std::string& sql) {
    pqxx::read_transaction tx(*connection_);
    return tx.exec1(sql)[0].as<std::int64_t>();
  }
  std::string text(const std::string& sql) {
    pqxx::read_transaction tx(*connection_);
    auto field = tx.exec1(sql)[0];
    return field.is_null() ? std::string("<null>") : field.as<std::string>();
  }
  void exec(const std::string& sql) {
    pqxx::work tx(*connection_);
    tx.exec(sql);
    tx.commit();
  }

  // A source row, created once.
  int source(const std::string& name = "imap1") {
    pqxx::work tx(*connection_);
    int id = tx.exec_params1(
                   "INSERT INTO source (name, kind) VALUES ($1, 'imap') ON CONFLICT (name) DO UPDATE SET kind = 'imap'"
                   " RETURNING id",
                   name)[0]
                 .as<int>();
    tx.commit();
    return id;
  }

  // A mailbox row as a crawl would leave it (team by name, created when missing).
  int mailbox(const std::string& address, const std::string& team = "", std::int64_t message_bytes = 0,
              const std::string& source_name = "imap1") {
    int source_id = source(source_name);
    pqxx::work tx(*connection_);
    if (!team.empty()) tx.exec_params0("INSERT INTO team (name) VALUES ($1) ON CONFLICT DO NOTHING", team);
    int id = tx.exec_params1(
                   "INSERT INTO mailbox (source_id, address, display_name, team_id, message_bytes)"
                   " VALUES ($1, $2, 'Mailbox ' || $2, (SELECT id FROM team WHERE name = NULLIF($3, '')), $4)"
                   " RETURNING id",
                   source_id, address, team, message_bytes)[0]
                 .as<int>();
    tx.commit();
    return id;
  }

  // A draft campaign with one detach rule, created through the campaign layer.
  campaign::CampaignRow campaign(const std::string& name, const std::string& deadline = "",
                                 std::optional<std::int64_t> target = std::nullopt) {
    campaign::CampaignSpec spec;
    spec.name = name;
    config::Rule rule;
    rule.name = "large-attachments";
    rule.action = config::RuleAction::detach;
    rule.approval = config::Approval::opt_out;
    rule.min_attachment_size = 1000000;
    spec.rules.push_back(rule);
    spec.deadline = deadline;
    spec.target_bytes = target;
    return campaign::create_campaign(*connection_, config_, spec);
  }

  void set_state(int campaign_id, const std::string& state) {
    pqxx::work tx(*connection_);
    tx.exec_params0("UPDATE campaign SET state = $2 WHERE id = $1", campaign_id, state);
    tx.commit();
  }

  struct Proposal {
    std::string rule = "large-attachments";
    std::string action = "detach";
    std::string approval = "opt-out";
    std::string decision = "pending";
    bool selected = true;
    std::string folder = "INBOX";
    std::string subject = "Quarterly report";
    std::string from = "boss@example.org";
    std::string file_name = "report.pdf";
    std::string date = "2023-05-04";
    std::int64_t bytes = 2000000;
    std::int64_t message_size = 2100000;
    int priority = 10;
  };

  // A proposal row, as the planner writes them; returns its id.
  std::int64_t proposal(int campaign_id, int mailbox_id, const Proposal& p) {
    pqxx::work tx(*connection_);
    static int next_uid = 1;
    int uid = next_uid++;
    auto id = tx.exec_params1(
                    "INSERT INTO proposal (campaign_id, rule_name, rule_priority, action, approval, selected, decision,"
                    " mailbox_id, message_row_id, attachment_row_id, folder_name, uidvalidity, uid,"
                    " internet_message_id, message_date, from_address, subject, message_size, section, attachment_name,"
                    " content_type, bytes)"
                    " VALUES ($1, $2, $3, $4::text, $5, $6, $7, $8, $9::bigint,"
                    " CASE WHEN $4::text = 'detach' THEN $9::bigint END, $10, 1, $9::bigint,"
                    " '<m' || $9::bigint || '@example.org>', $11::timestamptz, $12, $13, $14,"
                    " CASE WHEN $4::text = 'detach' THEN '2' END, CASE WHEN $4::text = 'detach' THEN $15::text END,"
                    " 'application/pdf', $16) RETURNING id",
                    campaign_id, p.rule, p.priority, p.action, p.approval, p.selected, p.decision, mailbox_id, uid,
                    p.folder, p.date, p.from, p.subject, p.message_size, p.file_name, p.bytes)[0]
                  .as<std::int64_t>();
    tx.commit();
    return id;
  }

  // Every row of every table of the public schema, in a canonical order: equal dumps mean nothing
  // was written.
  std::string dump_all() {
    pqxx::read_transaction tx(*connection_);
    std::string out;
    for (const auto& table : tx.exec("SELECT quote_ident(table_name) FROM information_schema.tables"
                                     " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1")) {
      auto name = table[0].as<std::string>();
      out += "== " + name + "\n";
      for (const auto& row : tx.exec("SELECT t::text FROM " + name + " t ORDER BY 1")) {
        out += row[0].as<std::string>() + "\n";
      }
    }
    return out;
  }

 private:
  std::string url_;
  config::Config config_;
  std::unique_ptr<pqxx::connection> connection_;
};

}  // namespace mailprune::test
