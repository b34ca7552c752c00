// Shared by the planner tests: a fresh database per test (the harness's throwaway PostgreSQL),
// an inventory written row by row with plain INSERTs (every flag and protection under the test's
// control, no crawl), rules from TOML text through the configuration loader, and the plan's
// proposals and skips read back keyed by attachment or message name.
#pragma once

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <map>
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "db/database.hpp"
#include "harness/postgres_server.hpp"
#include "policy/planner.hpp"
#include "policy/projection.hpp"

namespace mailprune::test {

struct MessageSpec {
  std::string subject;  // unique per test: proposals and skips are looked up by it
  std::int64_t size = 1000;
  // A timestamptz, "now-<interval>" ("now-30 days") relative to the test's time, or "" for none.
  std::string date = "now-30 days";
  std::string from = "someone@example.net";
  bool seen = true;
  bool flagged = false;
  std::string protection;   // signed | encrypted | calendar | tnef | ""
  std::string parse_error;  // "" for none
};

struct AttachmentSpec {
  std::string name;  // unique per test
  std::int64_t size = 1000;
  std::string content_type = "application/pdf";
  std::string sha;  // "" for none; equal strings give equal hashes
  bool is_inline = false;
  bool damaged = false;
};

class Inventory {
 public:
  explicit Inventory(const std::string& url) : connection_(url) {}

  int mailbox(const std::string& address, const std::string& team) {
    pqxx::work tx(connection_);
    tx.exec0("INSERT INTO source (name, kind) VALUES ('main', 'imap') ON CONFLICT DO NOTHING");
    if (!team.empty()) tx.exec_params0("INSERT INTO team (name) VALUES ($1) ON CONFLICT DO NOTHING", team);
    int id = tx.exec_params1(
                   "INSERT INTO mailbox (source_id, address, team_id) SELECT s.id, $1, t.id FROM source s"
                   " LEFT JOIN team t ON t.name = $2 WHERE s.name = 'main' RETURNING id",
                   address, team)[0]
                 .as<int>();
    tx.commit();
    return id;
  }
  int folder(int mailbox_id, const std::string& name) {
    pqxx::work tx(connection_);
    int id = tx.exec_params1(
                   "INSERT INTO folder (mailbox_id, name, server_name, uidvalidity) VALUES ($1, $2, $2, 7)"
                   " RETURNING id",
                   mailbox_id, name)[0]
                 .as<int>();
    tx.commit();
    return id;
  }
  std::int64_t message(int folder_id, const MessageSpec& m) {
    pqxx::work tx(connection_);
    std::int64_t id =
        tx.exec_params1(
              "INSERT INTO message (folder_id, mailbox_id, uid, size, internal_date, from_address, subject, seen,"
              " flagged, protection, parse_error, change_key)"
              " SELECT $1, f.mailbox_id, coalesce((SELECT max(uid) FROM message WHERE folder_id = $1), 0) + 1, $2,"
              " CASE WHEN $3 LIKE 'now-%' THEN now() - substr($3, 5)::interval ELSE nullif($3, '')::timestamptz END, "
              "$4, $5, $6, $7, nullif($8, ''), nullif($9, ''), '1'"
              " FROM folder f WHERE f.id = $1 RETURNING id",
              folder_id, m.size, m.date, m.from, m.subject, m.seen, m.flagged, m.protection, m.parse_error)[0]
            .as<std::int64_t>();
    tx.commit();
    return id;
  }
  std::int64_t attachment(std::int64_t message_id, const AttachmentSpec& a) {
    pqxx::work tx(connection_);
    std::int64_t id =
        tx.exec_params1(
              "INSERT INTO attachment (message_id, mailbox_id, section, name, content_type, size, size_exact, sha256,"
              " is_inline, damaged)"
              " SELECT $1, m.mailbox_id, (SELECT count(*) + 2 FROM attachment WHERE message_id = $1)::text, $2, $3, $4,"
              " true, CASE WHEN $5 = '' THEN NULL ELSE sha256(convert_to($5, 'UTF8')) END, $6, $7"
              " FROM message m WHERE m.id = $1 RETURNING id",
              message_id, a.name, a.content_type, a.size, a.sha, a.is_inline, a.damaged)[0]
            .as<std::int64_t>();
    tx.commit();
    return id;
  }
  pqxx::connection& connection() { return connection_; }

 private:
  pqxx::connection connection_;
};

struct Proposal {
  std::int64_t id = 0;
  std::string rule, action, decision, destination;
  std::int64_t bytes = 0;
  bool selected = false;
};

struct PlanOutcome {
  // Keyed by attachment name (detach) or message subject (archive, delete).
  std::map<std::string, Proposal> proposals;
  // Keyed the same way: the skip reason.
  std::map<std::string, std::string> skips;
  policy::Projection projection;
  policy::PlanStats stats;
};

inline config::Config config_of(const std::string& toml) {
  return config::parse_config(toml, "test.toml");
}

class PlannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = PostgresServer::shared().create_database();
    config::Config config;
    config.database.url = url_;
    config.database.password = config::Secret(PostgresServer::shared().password(), "the test server");
    db::Database database(config);
    database.connect_migrated();
    inventory_ = std::make_unique<Inventory>(url_);
  }

  // Creates campaign `name` (if new) with the rules and policy of `toml`, plans it and commits.
  PlanOutcome plan(const std::string& name, const std::string& toml, std::optional<std::int64_t> target = std::nullopt,
                   policy::CampaignScope scope = {}) {
    config::Config config = config_of(toml);
    pqxx::connection c(url_);
    pqxx::work tx(c);
    auto campaign = policy::find_campaign(tx, name);
    if (!campaign) {
      campaign = policy::create_campaign(tx, name, config.policy.rules, scope, target, config.policy.grace_days);
    } else if (target) {
      policy::set_campaign_target(tx, campaign->id, target);
      campaign->target_bytes = target;
    }
    PlanOutcome outcome;
    outcome.stats = policy::plan_campaign(tx, *campaign, config.policy);
    outcome.projection = policy::query_projection(tx, *campaign);
    tx.commit();
    read(c, campaign->id, outcome);
    return outcome;
  }

  static void read(pqxx::connection& c, int campaign_id, PlanOutcome& outcome) {
    pqxx::read_transaction tx(c);
    for (const auto& r : tx.exec_params(
             "SELECT coalesce(p.attachment_name, p.subject), p.id, p.rule_name, p.action, p.decision,"
             " coalesce(p.destination_folder, ''), p.bytes, p.selected FROM proposal p WHERE p.campaign_id = $1",
             campaign_id)) {
      Proposal p;
      p.id = r[1].as<std::int64_t>();
      p.rule = r[2].as<std::string>();
      p.action = r[3].as<std::string>();
      p.decision = r[4].as<std::string>();
      p.destination = r[5].as<std::string>();
      p.bytes = r[6].as<std::int64_t>();
      p.selected = r[7].as<bool>();
      EXPECT_TRUE(outcome.proposals.emplace(r[0].as<std::string>(), p).second) << "twice: " << r[0].as<std::string>();
    }
    for (const auto& r : tx.exec_params(
             "SELECT coalesce(a.name, m.subject), s.reason FROM plan_skip s JOIN message m ON m.id = s.message_row_id"
             " LEFT JOIN attachment a ON a.id = s.attachment_row_id WHERE s.campaign_id = $1",
             campaign_id)) {
      EXPECT_TRUE(outcome.skips.emplace(r[0].as<std::string>(), r[1].as<std::string>()).second)
          << "skipped twice: " << r[0].as<std::string>();
    }
  }

  std::int64_t scalar(const std::string& sql) {
    pqxx::connection c(url_);
    pqxx::read_transaction tx(c);
    return tx.exec1(sql)[0].as<std::int64_t>();
  }
  void exec(const std::string& sql) {
    pqxx::connection c(url_);
    pqxx::work tx(c);
    tx.exec0(sql);
    tx.commit();
  }

  std::string url_;
  std::unique_ptr<Inventory> inventory_;
};

// The names (keys) of a plan's proposals, sorted.
inline std::vector<std::string> names(const PlanOutcome& outcome) {
  std::vector<std::string> out;
  for (const auto& [name, p] : outcome.proposals) out.push_back(name);
  return out;
}

}  // namespace mailprune::test
