// /api/v1 resources against a real PostgreSQL: reads with their specified shapes, unknown ids
// (404), bad input (400 with field names, 415), changes and their audit rows, state conflicts
// (409), background jobs (202, one per campaign, interrupted at restart), proposals paged, reports
// and the what-if projection over a small inventory, retry of a failed action.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <future>
#include <map>
#include <string>

#include "api_test_support.hpp"

namespace mailprune::api {
namespace {

using namespace std::chrono_literals;
using test_support::ApiTest;
using test_support::Call;
using test_support::every_operation;
using test_support::kJson;
using test_support::seed_inventory;
using test_support::spec;

TEST_F(ApiTest, ReadsAnswerWithTheSpecifiedShapes) {
  for (const auto& call : every_operation()) {
    if (call.method != "GET") continue;
    if (call.pattern == "/api/v1/jobs/{id}") continue;  // no job yet: see JobsRunInTheBackground
    SCOPED_TRACE(call.pattern);
    expect(call, as_token(call, viewer_token_), 200);
  }
  auto me = as_session({"GET", "/api/v1/session", "/api/v1/session", "", ""}, session_, std::nullopt);
  auto body = nlohmann::json::parse(me.body);
  EXPECT_EQ(body["login"], "alice");
  EXPECT_EQ(body["role"], "admin");
  EXPECT_EQ(body["csrf_token"], session_.csrf_token);
  auto actions = nlohmann::json::parse(
      as_token({"GET", "", "/api/v1/campaigns/{campaign}/actions?outcome=failed", "", ""}, viewer_token_).body);
  ASSERT_EQ(actions["items"].size(), 1u);
  EXPECT_EQ(actions["items"][0]["reason"], "server said NO");
  auto failures =
      nlohmann::json::parse(as_token({"GET", "", "/api/v1/campaigns/{campaign}/failures", "", ""}, viewer_token_).body);
  EXPECT_EQ(failures["total"], 1);
  EXPECT_EQ(failures["by_reason"][0]["reason"], "server said NO");
}

TEST_F(ApiTest, UnknownIdsAre404) {
  for (const auto& call : every_operation()) {
    if (call.pattern.find("{id}") == std::string::npos) continue;
    SCOPED_TRACE(call.pattern);
    Call unknown = call;
    for (const char* key : {"{campaign}", "{action}", "{hold}"}) {
      auto at = unknown.path.find(key);
      if (at != std::string::npos) unknown.path.replace(at, std::string(key).size(), "987654");
    }
    if (unknown.pattern == "/api/v1/jobs/{id}") unknown.path = "/api/v1/jobs/987654";
    expect(call, as_token(unknown, admin_token_), 404);
    Call word = unknown;
    word.path.replace(word.path.find("987654"), 6, "abc");
    EXPECT_EQ(as_token(word, admin_token_).status, 404);
  }
  for (const char* path : {"/api/v1/campaigns/1/nothing", "/api/v1/nothing", "/api/v1/jobs/1/x"}) {
    auto response = router_.dispatch(request({"GET", "", path, "", ""}));
    EXPECT_EQ(response.status, 404) << path;
    EXPECT_EQ(nlohmann::json::parse(response.body)["error"], "not_found") << path;
  }
}

TEST_F(ApiTest, BadInputIs400Or415WithFieldNames) {
  struct Bad {
    Call call;
    int status;
    std::string field;  // "" when the error names none
  };
  std::vector<Bad> cases = {
      {{"POST", "/api/v1/campaigns", "/api/v1/campaigns", kJson, R"({"target":"10GB"})"}, 400, "name"},
      {{"POST", "/api/v1/campaigns", "/api/v1/campaigns", kJson, R"({"name":"x","target":"lots"})"}, 400, "target"},
      {{"POST", "/api/v1/campaigns", "/api/v1/campaigns", kJson, R"({"name":"x","rules":["nope"]})"}, 400, "rules"},
      {{"POST", "/api/v1/campaigns", "/api/v1/campaigns", kJson, R"({"name":"x","language":"de"})"}, 400, "language"},
      {{"POST", "/api/v1/campaigns", "/api/v1/campaigns", kJson, R"({"name":"x","grace_days":-1})"}, 400, "grace_days"},
      {{"POST", "/api/v1/campaigns", "/api/v1/campaigns", kJson, R"({"name":"x","colour":"red"})"}, 400, "colour"},
      {{"POST", "/api/v1/campaigns", "/api/v1/campaigns", kJson, "{not json"}, 400, ""},
      {{"POST", "/api/v1/campaigns", "/api/v1/campaigns", "text/plain", R"({"name":"x"})"}, 415, ""},
      {{"POST", "/api/v1/campaigns/{id}/what-if", "/api/v1/campaigns/{campaign}/what-if", kJson, R"({"target":"-"})"},
       400,
       "target"},
      {{"POST", "/api/v1/campaigns/{id}/launch", "/api/v1/campaigns/{campaign}/launch", kJson, R"({"crawl":"yes"})"},
       400,
       "crawl"},
      {{"POST", "/api/v1/campaigns/{id}/notify", "/api/v1/campaigns/{campaign}/notify", kJson, R"({"limit":0})"},
       400,
       "limit"},
      {{"POST", "/api/v1/campaigns/{id}/apply", "/api/v1/campaigns/{campaign}/apply", kJson,
        R"({"mailboxes":["nobody@example.org"]})"},
       400,
       "mailboxes"},
      {{"POST", "/api/v1/campaigns/{id}/undo", "/api/v1/campaigns/{campaign}/undo", kJson,
        R"({"mailbox":"anna@example.org","action":1})"},
       400,
       "action"},
      {{"GET", "/api/v1/campaigns/{id}/proposals", "/api/v1/campaigns/{campaign}/proposals?state=maybe", "", ""},
       400,
       "state"},
      {{"GET", "/api/v1/campaigns/{id}/actions", "/api/v1/campaigns/{campaign}/actions?outcome=won", "", ""},
       400,
       "outcome"},
      {{"GET", "/api/v1/jobs", "/api/v1/jobs?limit=0", "", ""}, 400, "limit"},
      {{"GET", "/api/v1/agents", "/api/v1/agents?cursor=x", "", ""}, 400, "cursor"},
      {{"POST", "/api/v1/agents", "/api/v1/agents", "text/csv", "address,colour\na@b.c,red\n"}, 400, ""},
      {{"POST", "/api/v1/agents", "/api/v1/agents", kJson, "[]"}, 415, ""},
      {{"POST", "/api/v1/holds", "/api/v1/holds", kJson, R"({"mailbox":"a@b.c"})"}, 400, "reason"},
      {{"POST", "/api/v1/holds", "/api/v1/holds", kJson, R"({"reason":"r"})"}, 400, ""},
      {{"POST", "/api/v1/holds", "/api/v1/holds", kJson, R"({"reason":"r","mailbox":"a","from":"yesterday"})"},
       400,
       ""},
      {{"GET", "/api/v1/reports/mailboxes", "/api/v1/reports/mailboxes?team=nobody", "", ""}, 400, ""},
      {{"GET", "/api/v1/reports/duplicates", "/api/v1/reports/duplicates?top=-3", "", ""}, 400, "top"},
  };
  for (const auto& bad : cases) {
    SCOPED_TRACE(bad.call.method + " " + bad.call.path + " " + bad.call.body);
    auto response = as_token(bad.call, admin_token_);
    expect(bad.call, response, bad.status);
    auto body = nlohmann::json::parse(response.body);
    if (!bad.field.empty()) {
      ASSERT_TRUE(body.contains("fields")) << response.body;
      EXPECT_EQ(body["fields"][0]["field"], bad.field);
    }
    EXPECT_EQ(response.body.find("what():"), std::string::npos);
  }
  EXPECT_EQ(count("SELECT count(*) FROM campaign"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM api_job"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM hold"), 1);
}

TEST_F(ApiTest, ChangesSucceedAndAreAudited) {
  auto audits = [&] { return count("SELECT count(*) FROM audit_log"); };
  std::int64_t before = audits();
  // Create with a cookie session and its CSRF token, as the console does.
  Call create{"POST", "/api/v1/campaigns", "/api/v1/campaigns", kJson,
              R"({"name":"autumn","target":"10GB","teams":[],"language":"en","deadline":"2030-02-01"})"};
  auto created = as_session(create, session_, session_.csrf_token);
  expect(create, created, 201);
  auto campaign = nlohmann::json::parse(created.body);
  EXPECT_EQ(campaign["target_bytes"], 10000000000);
  EXPECT_EQ(created.headers.get("Location").value_or(""), campaign["url"]);
  expect(create, as_session(create, session_, session_.csrf_token), 409);  // the name is taken

  Call what_if{"POST", "/api/v1/campaigns/{id}/what-if", "/api/v1/campaigns/{campaign}/what-if", kJson,
               R"({"target":"1GB"})"};
  auto projection = as_token(what_if, admin_token_);
  expect(what_if, projection, 200);
  EXPECT_EQ(nlohmann::json::parse(projection.body)["target_bytes"], 1000000000);
  EXPECT_EQ(count("SELECT count(*) FROM campaign WHERE target_bytes IS NOT NULL AND name = 'spring'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM campaign WHERE state = 'draft' AND name = 'spring'"), 1);

  Call hold{"POST", "/api/v1/holds", "/api/v1/holds", kJson, R"({"sender":"*@court.example","reason":"case 7"})"};
  auto held = as_token(hold, admin_token_);
  expect(hold, held, 201);
  EXPECT_EQ(nlohmann::json::parse(held.body)["origin"], "api");
  Call unhold{"DELETE", "/api/v1/holds/{id}", "/api/v1/holds/{hold}", "", ""};
  expect(unhold, as_token(unhold, admin_token_), 204);
  expect(unhold, as_token(unhold, admin_token_), 404);

  Call agents{"POST", "/api/v1/agents", "/api/v1/agents", "text/csv",
              "address,display_name,team\nanna@example.org,Anna,Finance\nbob@example.org,Bob,Legal\n"};
  auto imported = as_token(agents, admin_token_);
  expect(agents, imported, 200);
  EXPECT_EQ(nlohmann::json::parse(imported.body)["added"].size(), 2u);
  auto page = nlohmann::json::parse(as_token({"GET", "", "/api/v1/agents?limit=1", "", ""}, viewer_token_).body);
  ASSERT_EQ(page["items"].size(), 1u);
  ASSERT_TRUE(page["next_cursor"].is_string());
  auto page2 = nlohmann::json::parse(
      as_token({"GET", "", "/api/v1/agents?limit=1&cursor=" + page["next_cursor"].get<std::string>(), "", ""},
               viewer_token_)
          .body);
  ASSERT_EQ(page2["items"].size(), 1u);
  EXPECT_NE(page2["items"][0]["address"], page["items"][0]["address"]);
  EXPECT_TRUE(page2["next_cursor"].is_null());

  Call close{"POST", "/api/v1/campaigns/{id}/close", "/api/v1/campaigns/{campaign}/close", "", ""};
  auto closed = as_token(close, admin_token_);
  expect(close, closed, 200);
  EXPECT_EQ(nlohmann::json::parse(closed.body)["campaign"]["state"], "closed");
  Call launch{"POST", "/api/v1/campaigns/{id}/launch", "/api/v1/campaigns/{campaign}/launch", kJson, "{}"};
  expect(launch, as_token(launch, admin_token_), 409);  // closed
  Call what_if_closed{"POST", "/api/v1/campaigns/{id}/what-if", "/api/v1/campaigns/{campaign}/what-if", "", ""};
  expect(what_if_closed, as_token(what_if_closed, admin_token_), 409);
  Call notify{"POST", "/api/v1/campaigns/{id}/notify", "/api/v1/campaigns/{campaign}/notify", kJson, "{}"};
  expect(notify, as_token(notify, admin_token_), 409);
  expect(close, as_token(close, admin_token_), 200);  // idempotent

  EXPECT_EQ(audits() - before, 5);  // campaign.create, hold.create, hold.remove, agents.import, campaign.close
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'campaign.create' AND actor = 'alice'"), 1);
}

TEST_F(ApiTest, JobsRunInTheBackgroundOneAtATimePerCampaign) {
  Call launch{"POST", "/api/v1/campaigns/{id}/launch", "/api/v1/campaigns/{campaign}/launch", kJson,
              R"({"crawl":false})"};
  auto queued = as_token(launch, admin_token_);
  expect(launch, queued, 202);
  auto job = nlohmann::json::parse(queued.body);
  EXPECT_EQ(queued.headers.get("Location").value_or(""), job["url"]);
  ASSERT_TRUE(runner_->wait_idle(30s));
  auto finished = job_of(queued);
  EXPECT_EQ(finished["state"], "done") << finished.dump();
  EXPECT_EQ(finished["result"]["state"], "proposing") << finished.dump();
  EXPECT_EQ(count("SELECT count(*) FROM campaign WHERE state = 'proposing'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'campaign.launch'"), 1);

  // A second job while one is queued: 409. The runner is stopped so the first stays queued.
  runner_->stop();
  Call apply{"POST", "/api/v1/campaigns/{id}/apply", "/api/v1/campaigns/{campaign}/apply", kJson,
             R"({"dry_run":true})"};
  expect(apply, as_token(apply, admin_token_), 202);
  expect(apply, as_token(apply, admin_token_), 409);
  Call retry{"POST", "/api/v1/actions/{id}/retry", "/api/v1/actions/{action}/retry", "", ""};
  expect(retry, as_token(retry, admin_token_), 409);  // same campaign
  auto detail =
      nlohmann::json::parse(as_token({"GET", "", "/api/v1/campaigns/{campaign}", "", ""}, viewer_token_).body);
  EXPECT_EQ(detail["active_job"]["kind"], "apply");
  // A new runner (a restart of serve) marks what was left interrupted.
  JobRunner restarted(
      [this] {
        db::Database database(config_);
        return database.connect();
      },
      {});
  restarted.start();
  restarted.stop();
  EXPECT_EQ(count("SELECT count(*) FROM api_job WHERE state = 'interrupted'"), 1);
  auto listed = nlohmann::json::parse(
      as_token({"GET", "", "/api/v1/jobs?state=interrupted&campaign={campaign}", "", ""}, viewer_token_).body);
  EXPECT_EQ(listed["items"].size(), 1u);
}

// Three messages of anna's (team Finance), each with the same 2 MB PDF: a duplicate group, three
// proposals for the "large-attachments" rule.

TEST_F(ApiTest, WithAnInventoryListsAndReportsHaveTheirShapes) {
  {
    std::lock_guard lock(connection_mutex_);
    seed_inventory(*connection_, mailbox_id_);
  }
  Call what_if{"POST", "/api/v1/campaigns/{id}/what-if", "/api/v1/campaigns/{campaign}/what-if", kJson,
               R"({"target_bytes":3000000})"};
  // The fixture's hold covers anna's mailbox: everything is kept out, by that hold.
  auto held = nlohmann::json::parse(as_token(what_if, admin_token_).body);
  EXPECT_EQ(held["total"]["count"], 0);
  ASSERT_EQ(held["skipped"].size(), 1u);
  EXPECT_EQ(held["skipped"][0]["reason"], "hold:" + std::to_string(hold_id_));
  EXPECT_FALSE(held["reached"]);
  EXPECT_EQ(held["shortfall_bytes"], 3000000);
  expect({"DELETE", "/api/v1/holds/{id}", "", "", ""},
         as_token({"DELETE", "/api/v1/holds/{id}", "/api/v1/holds/{hold}", "", ""}, admin_token_), 204);
  auto projection = as_token(what_if, admin_token_);
  expect(what_if, projection, 200);
  auto p = nlohmann::json::parse(projection.body);
  EXPECT_EQ(p["total"]["count"], 3);
  EXPECT_EQ(p["by_team"][0]["name"], "Finance");
  EXPECT_EQ(p["by_rule"][0]["name"], "large-attachments");
  EXPECT_TRUE(p["reached"]);
  EXPECT_EQ(count("SELECT count(*) FROM proposal"), 0);  // a what-if writes nothing

  Call launch{"POST", "/api/v1/campaigns/{id}/launch", "/api/v1/campaigns/{campaign}/launch", kJson,
              R"({"crawl":false})"};
  expect(launch, as_token(launch, admin_token_), 202);
  ASSERT_TRUE(runner_->wait_idle(30s));
  EXPECT_EQ(count("SELECT count(*) FROM proposal"), 3);

  Call proposals{"GET", "/api/v1/campaigns/{id}/proposals", "/api/v1/campaigns/{campaign}/proposals?limit=2", "", ""};
  auto first = as_token(proposals, viewer_token_);
  expect(proposals, first, 200);
  auto page = nlohmann::json::parse(first.body);
  ASSERT_EQ(page["items"].size(), 2u);
  EXPECT_EQ(page["items"][0]["attachment_name"], "report.pdf");
  EXPECT_EQ(page["items"][0]["team"], "Finance");
  proposals.path += "&cursor=" + page["next_cursor"].get<std::string>();
  auto second = as_token(proposals, viewer_token_);
  expect(proposals, second, 200);
  EXPECT_EQ(nlohmann::json::parse(second.body)["items"].size(), 1u);
  Call mailbox_filter{"GET", "/api/v1/campaigns/{id}/proposals",
                      "/api/v1/campaigns/{campaign}/proposals?mailbox=ANNA@example.org&state=refused", "", ""};
  EXPECT_EQ(nlohmann::json::parse(as_token(mailbox_filter, viewer_token_).body)["items"].size(), 0u);

  Call detail{"GET", "/api/v1/campaigns/{id}", "/api/v1/campaigns/{campaign}", "", ""};
  auto shown = as_token(detail, viewer_token_);
  expect(detail, shown, 200);
  auto d = nlohmann::json::parse(shown.body);
  EXPECT_EQ(d["campaign"]["state"], "proposing");
  EXPECT_EQ(d["progress"]["total"]["proposed"], 3);
  EXPECT_TRUE(d["active_job"].is_null());

  for (const char* kind : {"mailboxes", "folders", "attachments", "duplicates"}) {
    std::string pattern = std::string("/api/v1/reports/") + kind;
    Call report{"GET", pattern, pattern + "?team=Finance", "", ""};
    auto answer = as_token(report, viewer_token_);
    expect(report, answer, 200);
    EXPECT_FALSE(nlohmann::json::parse(answer.body)["items"].empty()) << kind;
  }
  auto duplicates =
      nlohmann::json::parse(as_token({"GET", "", "/api/v1/reports/duplicates", "", ""}, viewer_token_).body);
  EXPECT_EQ(duplicates["items"][0]["count"], 3);
  EXPECT_EQ(duplicates["items"][0]["reclaimable_bytes"], 4000000);
  auto summary = nlohmann::json::parse(as_token({"GET", "", "/api/v1/reports/summary", "", ""}, viewer_token_).body);
  EXPECT_EQ(summary["attachments"], 3);

  // Apply as a dry run, and an undo with nothing done: both jobs end done with their summaries.
  Call apply{"POST", "/api/v1/campaigns/{id}/apply", "/api/v1/campaigns/{campaign}/apply", kJson,
             R"({"dry_run":true})"};
  auto queued = as_token(apply, admin_token_);
  ASSERT_TRUE(runner_->wait_idle(30s));
  auto job = job_of(queued);
  EXPECT_EQ(job["state"], "done") << job.dump();
  EXPECT_EQ(job["kind"], "apply");
  Call undo{"POST", "/api/v1/campaigns/{id}/undo", "/api/v1/campaigns/{campaign}/undo", kJson,
            R"({"mailbox":"anna@example.org"})"};
  expect(undo, as_token(undo, admin_token_), 202);
  ASSERT_TRUE(runner_->wait_idle(30s));
  Call jobs{"GET", "/api/v1/jobs", "/api/v1/jobs?campaign={campaign}", "", ""};
  auto listed = as_token(jobs, viewer_token_);
  expect(jobs, listed, 200);
  auto items = nlohmann::json::parse(listed.body)["items"];
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0]["kind"], "undo");  // newest first
  EXPECT_EQ(items[0]["state"], "done") << items[0].dump();
}

TEST_F(ApiTest, RetryPutsOneFailedActionBackAndRunsIt) {
  Call retry{"POST", "/api/v1/actions/{id}/retry", "/api/v1/actions/{action}/retry", "", ""};
  auto queued = as_token(retry, admin_token_);
  expect(retry, queued, 202);
  ASSERT_TRUE(runner_->wait_idle(30s));
  auto job = job_of(queued);
  EXPECT_EQ(job["kind"], "retry");
  EXPECT_EQ(job["state"], "done") << job.dump();
  // Its source is not configured here, so the mailbox cannot be opened: the action is back at the
  // step it had reached, waiting, and no longer failed.
  EXPECT_EQ(job["result"]["mailboxes_failed"], 1) << job.dump();
  EXPECT_EQ(count("SELECT count(*) FROM action WHERE step = 'approved' AND reason IS NULL"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM action_step WHERE detail LIKE 'retry of a failed action%'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'action.retry'"), 1);
  expect(retry, as_token(retry, admin_token_), 409);  // not failed any more
}

TEST_F(ApiTest, StoppingWithAJobStillRunningMarksItInterrupted) {
  runner_->stop();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> running;
  auto slow = std::make_unique<JobRunner>(
      [this] {
        db::Database job_database(config_);
        return job_database.connect();
      },
      std::map<std::string, JobExecutor>{{"launch", [&](JobContext& job) {
                                            job.progress(10, 3, 0, 0, true);
                                            running.set_value();
                                            released.wait();
                                            return nlohmann::json::object();
                                          }}});
  slow->start();
  api_.jobs = slow.get();
  Call launch{"POST", "/api/v1/campaigns/{id}/launch", "/api/v1/campaigns/{campaign}/launch", kJson, "{}"};
  auto queued = nlohmann::json::parse(as_token(launch, admin_token_).body);
  running.get_future().wait();
  auto job = nlohmann::json::parse(as_token({"GET", "", queued["url"].get<std::string>(), "", ""}, viewer_token_).body);
  EXPECT_EQ(job["state"], "running");
  EXPECT_EQ(job["progress"]["done"], 3);
  EXPECT_EQ(job["progress"]["total"], 10);
  EXPECT_FALSE(slow->stop(std::chrono::milliseconds(200)));
  EXPECT_EQ(count("SELECT count(*) FROM api_job WHERE state = 'interrupted'"), 1);
  release.set_value();
  slow.reset();  // waits for the detached worker to end
  api_.jobs = nullptr;
  // Its late "done" did not overwrite "interrupted".
  EXPECT_EQ(count("SELECT count(*) FROM api_job WHERE state = 'interrupted' AND result IS NULL"), 1);
}

TEST_F(ApiTest, IdsNeverMeanACampaignNamedLikeAnId) {
  std::string name = std::to_string(campaign_id_);  // a second campaign named like the first's id
  Call create{"POST", "/api/v1/campaigns", "/api/v1/campaigns", kJson, R"({"name":")" + name + R"("})"};
  auto created = nlohmann::json::parse(as_token(create, admin_token_).body);
  ASSERT_NE(created["id"], campaign_id_);
  auto shown = nlohmann::json::parse(as_token({"GET", "", "/api/v1/campaigns/{campaign}", "", ""}, viewer_token_).body);
  EXPECT_EQ(shown["campaign"]["name"], "spring");
  Call launch{"POST", "/api/v1/campaigns/{id}/launch", "/api/v1/campaigns/{campaign}/launch", kJson,
              R"({"crawl":false})"};
  expect(launch, as_token(launch, admin_token_), 202);
  ASSERT_TRUE(runner_->wait_idle(30s));
  EXPECT_EQ(count("SELECT count(*) FROM campaign WHERE name = 'spring' AND state = 'proposing'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM campaign WHERE name = '" + name + "' AND state = 'draft'"), 1);
}

TEST_F(ApiTest, RetryOfAnActionThatIsNotFailedIs409) {
  {
    std::lock_guard lock(connection_mutex_);
    pqxx::work tx(*connection_);
    tx.exec_params0("UPDATE action SET step = 'done' WHERE id = $1", action_id_);
    tx.commit();
  }
  Call retry{"POST", "/api/v1/actions/{id}/retry", "/api/v1/actions/{action}/retry", "", ""};
  expect(retry, as_token(retry, admin_token_), 409);
}
}  // namespace
}  // namespace mailprune::api
