// The fixture of the API tests: a fresh migrated database (the harness's PostgreSQL) with an
// admin and a viewer (tokens, a live and an expired session), one campaign, a failed action and a
// hold; the API's router with a real job runner (production executors); helpers that send
// requests as each caller and check every answer against docs/openapi.json.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/job_runner.hpp"
#include "api/job_steps.hpp"
#include "api/routes.hpp"
#include "auth/accounts.hpp"
#include "auth/audit.hpp"
#include "auth/session.hpp"
#include "auth/tokens.hpp"
#include "campaign/campaign_store.hpp"
#include "db/database.hpp"
#include "harness/postgres_server.hpp"
#include "harness/temp_dir.hpp"
#include "http/encoding.hpp"
#include "http/router.hpp"
#include "spec_checker.hpp"

namespace mailprune::api::test_support {

inline constexpr std::int64_t kNow = 1'800'000'000;

inline const test::OpenApiSpec& spec() {
  static const test::OpenApiSpec loaded(MAILPRUNE_SOURCE_DIR "/docs/openapi.json");
  return loaded;
}

struct Call {
  std::string method;
  std::string pattern;  // the operation, for the spec
  std::string path;     // with ids, and a query
  std::string content_type;
  std::string body;
};

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() {
    config_.data_dir = data_dir_.path();  // archive store and keys of the apply and undo jobs
    config_.database.url = test::PostgresServer::shared().create_database();
    config_.database.password = config::Secret(test::PostgresServer::shared().password(), "the test server");
    config::Rule rule;
    rule.name = "large-attachments";
    rule.action = config::RuleAction::detach;
    rule.min_attachment_size = 1000000;
    config_.policy.rules = {rule};
    db::Database database(config_);
    connection_ = database.connect_migrated();
    api_.config = &config_;
    api_.with_connection = [this](const std::function<void(pqxx::connection&)>& work) {
      std::lock_guard lock(connection_mutex_);
      work(*connection_);
    };
    api_.auth.password_cost = auth::PasswordCost::minimum();
    for (std::size_t i = 0; i < api_.csrf_key.size(); ++i) api_.csrf_key[i] = static_cast<std::uint8_t>(i * 7 + 3);
    api_.now = [] { return kNow; };
    runner_ = std::make_unique<JobRunner>(
        [this] {
          db::Database job_database(config_);
          return job_database.connect();
        },
        production_executors(config_));
    runner_->start();
    api_.jobs = runner_.get();
    add_api_routes(router_, api_, nullptr);
    seed();
  }
  ~ApiTest() override { runner_->stop(); }

  void seed() {
    pqxx::work tx(*connection_);
    auto op = auth::cli_actor("test");
    admin_ = auth::create_account(tx, "alice", auth::Role::admin, "alice password 1", auth::PasswordCost::minimum(), op,
                                  "", kNow - 100);
    viewer_ = auth::create_account(tx, "victor", auth::Role::viewer, "victor password 1", auth::PasswordCost::minimum(),
                                   op, "", kNow - 100);
    admin_token_ = auth::create_token(tx, "alice", "t", std::nullopt, std::nullopt, op, "", kNow - 100).token;
    viewer_token_ = auth::create_token(tx, "victor", "t", std::nullopt, std::nullopt, op, "", kNow - 100).token;
    auth::ClientInfo client;
    client.ip = "192.0.2.9";
    session_ = auth::create_session(tx, admin_, client, api_.auth, api_.csrf_key, kNow - 10);
    expired_ = auth::create_session(tx, admin_, client, api_.auth, api_.csrf_key, kNow - 13 * 3600);
    tx.exec0("INSERT INTO source (name, kind) VALUES ('mail', 'imap')");
    mailbox_id_ =
        tx.exec1("INSERT INTO mailbox (source_id, address) SELECT id, 'anna@example.org' FROM source RETURNING id")[0]
            .as<int>();
    tx.commit();
    campaign::CampaignSpec spec;
    spec.name = "spring";
    spec.rules = config_.policy.rules;
    spec.deadline = "2030-01-31";
    campaign_id_ = campaign::create_campaign(*connection_, config_, spec).id;
    pqxx::work tx2(*connection_);
    action_id_ = tx2.exec_params1(
                        "INSERT INTO action (campaign_id, kind, mailbox_id, folder_name, uid, step, reason, "
                        "failed_step) VALUES ($1, 'archive', $2, 'INBOX', 7, 'failed', 'server said NO', "
                        "'approved') RETURNING id",
                        campaign_id_, mailbox_id_)[0]
                     .as<std::int64_t>();
    hold_id_ = tx2.exec1("INSERT INTO hold (mailbox, reason) VALUES ('anna@*', 'case 12') RETURNING id")[0].as<int>();
    tx2.commit();
  }

  std::string fill(std::string path) const {
    auto replace = [&](const std::string& key, const std::string& value) {
      for (auto at = path.find(key); at != std::string::npos; at = path.find(key)) path.replace(at, key.size(), value);
    };
    replace("{campaign}", std::to_string(campaign_id_));
    replace("{action}", std::to_string(action_id_));
    replace("{hold}", std::to_string(hold_id_));
    return path;
  }

  http::Request request(const Call& call) const {
    http::Request request;
    request.method = call.method;
    std::string target = fill(call.path);
    auto parsed = http::parse_target(target);
    request.target = target;
    request.path = parsed->path;
    request.query = parsed->query;
    request.remote_address = "192.0.2.7";
    if (!call.content_type.empty()) request.headers.add("Content-Type", call.content_type);
    request.body = call.body;
    return request;
  }

  http::Response as_token(const Call& call, const std::string& token) {
    auto r = request(call);
    r.headers.add("Authorization", "Bearer " + token);
    return router_.dispatch(r);
  }
  http::Response as_session(const Call& call, const auth::NewSession& session, std::optional<std::string> csrf) {
    auto r = request(call);
    r.headers.add("Cookie", std::string("mailprune_session=") + session.cookie_value);
    if (csrf) r.headers.add("X-CSRF-Token", *csrf);
    return router_.dispatch(r);
  }

  // The answer conforms to the spec for its operation, and has the expected status.
  void expect(const Call& call, const http::Response& response, int status) {
    EXPECT_EQ(response.status, status) << call.method << " " << fill(call.path) << ": " << response.body;
    EXPECT_EQ(spec().check_response(call.method, call.pattern, response.status, response.body), "")
        << call.method << " " << call.pattern << " " << response.status << ": " << response.body;
  }

  // The job a 202 answer queued (its Location), as a viewer reads it back: GET /api/v1/jobs/{id},
  // 200 and shaped as the spec says. The caller waits for the runner first.
  nlohmann::json job_of(const http::Response& queued) {
    Call get{"GET", "/api/v1/jobs/{id}", nlohmann::json::parse(queued.body)["url"].get<std::string>(), "", ""};
    auto answer = as_token(get, viewer_token_);
    expect(get, answer, 200);
    return nlohmann::json::parse(answer.body);
  }

  std::int64_t count(const std::string& sql) {
    std::lock_guard lock(connection_mutex_);
    pqxx::read_transaction tx(*connection_);
    return tx.exec1(sql)[0].as<std::int64_t>();
  }

  test::TempDir data_dir_{"api-test"};
  config::Config config_;
  std::unique_ptr<pqxx::connection> connection_;
  std::mutex connection_mutex_;
  ApiContext api_;
  std::unique_ptr<JobRunner> runner_;
  http::Router router_;
  auth::Account admin_, viewer_;
  std::string admin_token_, viewer_token_;
  auth::NewSession session_, expired_;
  int mailbox_id_ = 0;
  int campaign_id_ = 0;
  std::int64_t action_id_ = 0;
  int hold_id_ = 0;
};

inline constexpr const char* kJson = "application/json";

// One representative call per operation (every operation of api_operations()).
inline std::vector<Call> every_operation() {
  return {
      {"GET", "/api/v1/session", "/api/v1/session", "", ""},
      {"DELETE", "/api/v1/session", "/api/v1/session", "", ""},
      {"GET", "/api/v1/campaigns", "/api/v1/campaigns", "", ""},
      {"POST", "/api/v1/campaigns", "/api/v1/campaigns", kJson, R"({"name":"autumn","target":"10GB"})"},
      {"GET", "/api/v1/campaigns/{id}", "/api/v1/campaigns/{campaign}", "", ""},
      {"POST", "/api/v1/campaigns/{id}/what-if", "/api/v1/campaigns/{campaign}/what-if", kJson, R"({"target":"1GB"})"},
      {"POST", "/api/v1/campaigns/{id}/launch", "/api/v1/campaigns/{campaign}/launch", kJson, R"({"crawl":false})"},
      {"POST", "/api/v1/campaigns/{id}/notify", "/api/v1/campaigns/{campaign}/notify", kJson, "{}"},
      {"POST", "/api/v1/campaigns/{id}/apply", "/api/v1/campaigns/{campaign}/apply", kJson, R"({"dry_run":true})"},
      {"POST", "/api/v1/campaigns/{id}/undo", "/api/v1/campaigns/{campaign}/undo", kJson, "{}"},
      {"POST", "/api/v1/campaigns/{id}/close", "/api/v1/campaigns/{campaign}/close", "", ""},
      {"GET", "/api/v1/campaigns/{id}/rules", "/api/v1/campaigns/{campaign}/rules", "", ""},
      {"GET", "/api/v1/campaigns/{id}/proposals", "/api/v1/campaigns/{campaign}/proposals?state=pending", "", ""},
      {"GET", "/api/v1/campaigns/{id}/actions", "/api/v1/campaigns/{campaign}/actions?outcome=failed", "", ""},
      {"GET", "/api/v1/campaigns/{id}/failures", "/api/v1/campaigns/{campaign}/failures", "", ""},
      {"GET", "/api/v1/campaigns/{id}/progress-page", "/api/v1/campaigns/{campaign}/progress-page", "", ""},
      {"PUT", "/api/v1/campaigns/{id}/progress-page", "/api/v1/campaigns/{campaign}/progress-page", kJson,
       R"({"mode":"public"})"},
      {"POST", "/api/v1/actions/{id}/retry", "/api/v1/actions/{action}/retry", "", ""},
      {"GET", "/api/v1/jobs", "/api/v1/jobs?limit=5", "", ""},
      {"GET", "/api/v1/jobs/{id}", "/api/v1/jobs/1", "", ""},
      {"GET", "/api/v1/rules", "/api/v1/rules", "", ""},
      {"GET", "/api/v1/agents", "/api/v1/agents", "", ""},
      {"POST", "/api/v1/agents", "/api/v1/agents", "text/csv",
       "address,display_name,team\nanna@example.org,Anna,Finance\n"},
      {"GET", "/api/v1/holds", "/api/v1/holds", "", ""},
      {"POST", "/api/v1/holds", "/api/v1/holds", kJson, R"({"sender":"*@court.example","reason":"case 7"})"},
      {"DELETE", "/api/v1/holds/{id}", "/api/v1/holds/{hold}", "", ""},
      {"GET", "/api/v1/reports/summary", "/api/v1/reports/summary", "", ""},
      {"GET", "/api/v1/reports/mailboxes", "/api/v1/reports/mailboxes?top=5", "", ""},
      {"GET", "/api/v1/reports/folders", "/api/v1/reports/folders", "", ""},
      {"GET", "/api/v1/reports/attachments", "/api/v1/reports/attachments", "", ""},
      {"GET", "/api/v1/reports/duplicates", "/api/v1/reports/duplicates", "", ""},
      {"GET", "/api/v1/audit", "/api/v1/audit", "", ""},
  };
}

inline void seed_inventory(pqxx::connection& connection, int mailbox_id) {
  pqxx::work tx(connection);
  tx.exec0("INSERT INTO team (name) VALUES ('Finance')");
  tx.exec_params0(
      "UPDATE mailbox SET team_id = (SELECT id FROM team WHERE name = 'Finance'), last_crawled_at = now(),"
      " folder_count = 1, message_count = 3, message_bytes = 6300000, attachment_count = 3,"
      " attachment_bytes = 6000000 WHERE id = $1",
      mailbox_id);
  int folder = tx.exec_params1(
                     "INSERT INTO folder (mailbox_id, name, server_name, uidvalidity, message_count,"
                     " message_bytes) VALUES ($1, 'INBOX', 'INBOX', 7, 3, 6300000) RETURNING id",
                     mailbox_id)[0]
                   .as<int>();
  for (int uid = 1; uid <= 3; ++uid) {
    auto message = tx.exec_params1(
                         "INSERT INTO message (folder_id, mailbox_id, uid, size, internal_date, from_address, subject,"
                         " change_key) VALUES ($1, $2, $3, 2100000, now() - interval '400 days', 'bob@example.org',"
                         " 'report', '1') RETURNING id",
                         folder, mailbox_id, uid)[0]
                       .as<std::int64_t>();
    tx.exec_params0(
        "INSERT INTO attachment (message_id, mailbox_id, section, name, content_type, size, size_exact, sha256)"
        " VALUES ($1, $2, '2', 'report.pdf', 'application/pdf', 2000000, true, sha256('same pdf'::bytea))",
        message, mailbox_id);
  }
  tx.commit();
}

}  // namespace mailprune::api::test_support
