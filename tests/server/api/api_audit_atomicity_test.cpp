// The API's changes and their audit rows commit in one transaction: creating a campaign, closing
// it, importing agents and switching the progress page each write exactly one audit_log row on
// success; when the audit insert fails (a CHECK constraint the test adds refuses that action) the
// answer is 500 and the change itself is gone too: no campaign, no close, no agent imported, no
// switch.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "api_test_support.hpp"

namespace mailprune::api {
namespace {

using test_support::ApiTest;
using test_support::Call;
using test_support::kJson;

class AuditAtomicityTest : public ApiTest {
 protected:
  // From now on, inserting an audit row for `action` fails, as it would on any database error
  // (NOT VALID: rows already there are not checked).
  void refuse_audit_of(const std::string& action) {
    std::lock_guard lock(connection_mutex_);
    pqxx::work tx(*connection_);
    tx.exec0("ALTER TABLE audit_log ADD CONSTRAINT test_refused_action CHECK (action <> " + tx.quote(action) +
             ") NOT VALID");
    tx.commit();
  }
  void accept_audit_again() {
    std::lock_guard lock(connection_mutex_);
    pqxx::work tx(*connection_);
    tx.exec0("ALTER TABLE audit_log DROP CONSTRAINT test_refused_action");
    tx.commit();
  }
  // `call` while the audit of `action` is refused: 500, and no row of it.
  void send_with_audit_refused(const Call& call, const std::string& action) {
    refuse_audit_of(action);
    auto response = as_token(call, admin_token_);
    EXPECT_EQ(response.status, 500) << response.body;
    EXPECT_EQ(audit_rows(action), 0);
  }
  // `call` again once the audit works: nothing half-done stands in its way; one row of it.
  http::Response send_with_audit_back(const Call& call, const std::string& action, int status) {
    accept_audit_again();
    auto response = as_token(call, admin_token_);
    expect(call, response, status);
    EXPECT_EQ(audit_rows(action), 1);
    return response;
  }
  std::int64_t audit_rows(const std::string& action) {
    std::lock_guard lock(connection_mutex_);
    pqxx::read_transaction tx(*connection_);
    return tx.exec_params1("SELECT count(*) FROM audit_log WHERE action = $1", action)[0].as<std::int64_t>();
  }
  // The audit row of `action` (there must be exactly one) as the API lists it.
  nlohmann::json only_audit_row(const std::string& action) {
    Call list{"GET", "/api/v1/audit", "/api/v1/audit?limit=500", "", ""};
    auto response = as_token(list, viewer_token_);
    expect(list, response, 200);
    nlohmann::json found;
    int matches = 0;
    auto body = nlohmann::json::parse(response.body);
    for (const auto& item : body["items"]) {
      if (item["action"] == action) {
        found = item;
        ++matches;
      }
    }
    EXPECT_EQ(matches, 1) << action << ": " << response.body;
    return found;
  }
  // A pending review e-mail for an agent, which closing the campaign cancels.
  void queue_notification() {
    std::lock_guard lock(connection_mutex_);
    pqxx::work tx(*connection_);
    int agent = tx.exec1("INSERT INTO agent (address) VALUES ('anna@example.org') RETURNING id")[0].as<int>();
    tx.exec_params0(
        "INSERT INTO notification (campaign_id, agent_id, kind, recipient, language)"
        " VALUES ($1, $2, 'review', 'anna@example.org', 'fr')",
        campaign_id_, agent);
    tx.commit();
  }

  static Call create(const std::string& name) {
    return {"POST", "/api/v1/campaigns", "/api/v1/campaigns", kJson, R"({"name":")" + name + R"(","target":"10GB"})"};
  }
  static Call close() { return {"POST", "/api/v1/campaigns/{id}/close", "/api/v1/campaigns/{campaign}/close", "", ""}; }
  static Call import() {
    return {"POST", "/api/v1/agents", "/api/v1/agents", "text/csv",
            "address,display_name,team\nanna@example.org,Anna,Finance\nbob@example.org,Bob,Finance\n"};
  }
  static Call switch_page() {
    return {"PUT", "/api/v1/campaigns/{id}/progress-page", "/api/v1/campaigns/{campaign}/progress-page", kJson,
            R"({"mode":"public"})"};
  }
};

TEST_F(AuditAtomicityTest, CreateWritesOneAuditRowWithTheCampaign) {
  auto response = as_token(create("autumn"), admin_token_);
  expect(create("autumn"), response, 201);
  auto id = nlohmann::json::parse(response.body)["id"].get<int>();
  EXPECT_EQ(audit_rows("campaign.create"), 1);
  auto row = only_audit_row("campaign.create");
  EXPECT_EQ(row["actor_kind"], "token");
  EXPECT_EQ(row["actor"], "alice");
  EXPECT_EQ(row["object_type"], "campaign");
  EXPECT_EQ(row["object_id"], std::to_string(id));
  EXPECT_EQ(row["details"]["name"], "autumn");
  EXPECT_EQ(row["details"]["rules"], 1);
  EXPECT_EQ(row["ip"], "192.0.2.7");
  // A refused create (the name is taken) writes neither.
  expect(create("autumn"), as_token(create("autumn"), admin_token_), 409);
  EXPECT_EQ(audit_rows("campaign.create"), 1);
}

TEST_F(AuditAtomicityTest, CreateWhoseAuditFailsLeavesNoCampaign) {
  auto campaigns = count("SELECT count(*) FROM campaign");
  auto events = count("SELECT count(*) FROM campaign_event");
  send_with_audit_refused(create("autumn"), "campaign.create");
  EXPECT_EQ(count("SELECT count(*) FROM campaign"), campaigns);
  EXPECT_EQ(count("SELECT count(*) FROM campaign WHERE name = 'autumn'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM campaign_event"), events);

  send_with_audit_back(create("autumn"), "campaign.create", 201);
  EXPECT_EQ(count("SELECT count(*) FROM campaign WHERE name = 'autumn'"), 1);
}

TEST_F(AuditAtomicityTest, CloseWritesOneAuditRowWithTheClose) {
  queue_notification();
  auto response = as_token(close(), admin_token_);
  expect(close(), response, 200);
  EXPECT_EQ(nlohmann::json::parse(response.body)["notifications_cancelled"], 1);
  EXPECT_EQ(audit_rows("campaign.close"), 1);
  auto row = only_audit_row("campaign.close");
  EXPECT_EQ(row["actor"], "alice");
  EXPECT_EQ(row["object_type"], "campaign");
  EXPECT_EQ(row["object_id"], std::to_string(campaign_id_));
  EXPECT_EQ(row["details"]["previous_state"], "draft");
  EXPECT_EQ(row["details"]["notifications_cancelled"], 1);
  // Closing a closed campaign changes nothing and records nothing.
  response = as_token(close(), admin_token_);
  expect(close(), response, 200);
  EXPECT_EQ(nlohmann::json::parse(response.body)["previous_state"], "closed");
  EXPECT_EQ(audit_rows("campaign.close"), 1);
}

TEST_F(AuditAtomicityTest, CloseWhoseAuditFailsLeavesTheCampaignOpen) {
  queue_notification();
  send_with_audit_refused(close(), "campaign.close");
  std::string id = std::to_string(campaign_id_);
  EXPECT_EQ(count("SELECT count(*) FROM campaign WHERE state = 'draft' AND closed_at IS NULL AND id = " + id), 1);
  EXPECT_EQ(count("SELECT count(*) FROM campaign_event WHERE step = 'close'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM notification WHERE status = 'pending' AND campaign_id = " + id), 1);

  auto response = send_with_audit_back(close(), "campaign.close", 200);
  EXPECT_EQ(nlohmann::json::parse(response.body)["previous_state"], "draft");
  EXPECT_EQ(count("SELECT count(*) FROM notification WHERE status = 'cancelled' AND campaign_id = " + id), 1);
}

TEST_F(AuditAtomicityTest, ImportWritesOneAuditRowWithTheAgents) {
  auto response = as_token(import(), admin_token_);
  expect(import(), response, 200);
  EXPECT_EQ(count("SELECT count(*) FROM agent"), 2);
  EXPECT_EQ(audit_rows("agents.import"), 1);
  auto row = only_audit_row("agents.import");
  EXPECT_EQ(row["actor"], "alice");
  EXPECT_EQ(row["object_type"], "agent");
  EXPECT_EQ(row["details"]["agents"], 2);
  EXPECT_EQ(row["details"]["added"], 2);
  EXPECT_EQ(row["details"]["updated"], 0);
  EXPECT_EQ(row["details"]["new_teams"], nlohmann::json::array({"Finance"}));
  // The same file again: one more import, one more row (nothing added this time).
  expect(import(), as_token(import(), admin_token_), 200);
  EXPECT_EQ(audit_rows("agents.import"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'agents.import' AND details->>'added' = '0'"), 1);
}

TEST_F(AuditAtomicityTest, ImportWhoseAuditFailsImportsNothing) {
  send_with_audit_refused(import(), "agents.import");
  EXPECT_EQ(count("SELECT count(*) FROM agent"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM team WHERE name = 'Finance'"), 0);
  // The mailbox did not follow an agent that was never imported.
  std::string mailbox = std::to_string(mailbox_id_);
  EXPECT_EQ(count("SELECT count(*) FROM mailbox WHERE team_id IS NULL AND id = " + mailbox), 1);

  auto response = send_with_audit_back(import(), "agents.import", 200);
  EXPECT_EQ(nlohmann::json::parse(response.body)["added"].size(), 2u);
  EXPECT_EQ(count("SELECT count(*) FROM mailbox WHERE team_id IS NOT NULL AND id = " + mailbox), 1);
}

TEST_F(AuditAtomicityTest, ProgressPageSwitchWhoseAuditFailsLeavesItOff) {
  send_with_audit_refused(switch_page(), "campaign.progress_page");
  EXPECT_EQ(count("SELECT count(*) FROM progress_page"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM campaign_event WHERE step = 'progress-page'"), 0);

  send_with_audit_back(switch_page(), "campaign.progress_page", 200);
  EXPECT_EQ(count("SELECT count(*) FROM progress_page WHERE mode = 'public'"), 1);
}

}  // namespace
}  // namespace mailprune::api
