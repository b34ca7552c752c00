// The `agents` and `campaign` commands as users run them: the mailprune binary against the
// harness's PostgreSQL, outputs and exit codes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli_test_support.hpp"
#include "harness/postgres_server.hpp"

namespace mailprune::test {
namespace {

using testing::contains;
using testing::mailprune;

class CampaignCli : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    auto& server = PostgresServer::shared();
    std::string name = "mp_cli_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    server.create_database(name);
    database_ = name;
    config_ =
        scratch_.write("mailprune.toml", "[database]\nurl = \"host=127.0.0.1 port=" + std::to_string(server.port()) +
                                             " dbname=" + name + " user=" + server.superuser() +
                                             "\"\npassword_env = \"MAILPRUNE_TEST_DB_PASSWORD\"\n\n"
                                             "[[rule]]\nname = \"large-attachments\"\naction = \"detach\"\n"
                                             "approval = \"opt-out\"\nmin_attachment_size = 1000000\n");
    env_ = {"MAILPRUNE_TEST_DB_PASSWORD=" + server.password()};
  }

  platform::RunResult run(std::vector<std::string> args, const std::vector<std::string>& more_env = {}) {
    args.insert(args.begin(), {"--config", config_, "--log-format", "text"});
    auto env = env_;
    env.insert(env.end(), more_env.begin(), more_env.end());
    return mailprune(args, env);
  }

  // psql's answer, without its final newline.
  std::string sql(const std::string& query) {
    auto out = PostgresServer::shared().psql(query, database_);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  testing::Scratch scratch_;
  std::string database_;
  std::string config_;
  std::vector<std::string> env_;
};

// Every audit row of `action_pattern` (SQL LIKE), oldest first, as psql prints it:
// actor_kind|actor|account_id or 0|action|object_type|object_id|details|ip.
constexpr const char* kAuditRows =
    "SELECT actor_kind, actor, coalesce(account_id, 0), action, object_type, object_id, details, ip"
    " FROM audit_log WHERE action LIKE '{}' ORDER BY id";

std::string audit_query(const std::string& action_pattern) {
  std::string query = kAuditRows;
  return query.replace(query.find("{}"), 2, action_pattern);
}

TEST_F(CampaignCli, AgentsImportReimportAndList) {
  const std::vector<std::string> operator_env = {"SUDO_USER=ops-maria"};
  auto v1 = scratch_.write("v1.csv",
                           "address,display_name,team,language\nalice@example.org,Alice,sales,fr\n"
                           "bob@example.org,Bob,support,en\n");
  auto r = run({"agents", "import", v1}, operator_env);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "2 agents in " + v1 + ": 2 added, 0 updated, 0 unchanged")) << r.output;
  EXPECT_TRUE(contains(r.output, "new teams: sales, support")) << r.output;

  auto v2 = scratch_.write("v2.csv", "address,display_name,team,language\nalice@example.org,Alice,sales,fr\n");
  r = run({"agents", "import", v2}, operator_env);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "0 added, 0 updated, 1 unchanged")) << r.output;
  EXPECT_TRUE(contains(r.output, "1 agent(s) imported before are not in this file and were kept")) << r.output;
  EXPECT_TRUE(contains(r.output, "  bob@example.org\n")) << r.output;

  r = run({"agents", "list", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto json = nlohmann::json::parse(r.output.substr(r.output.find('[')));
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[1]["address"], "bob@example.org");
  EXPECT_EQ(json[1]["language"], "en");

  auto bad = scratch_.write("bad.csv", "address,language\ncarol@example.org,de\n");
  r = run({"agents", "import", bad});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "language 'de' is not fr or en")) << r.output;
  EXPECT_TRUE(contains(r.output, "nothing was imported")) << r.output;

  // Each import is audited as the API's (agents.import, the counts), by the operator; the refused
  // file is not.
  const std::string imported =
      "cli|ops-maria|0|agents.import|agent||{\"added\": 2, \"agents\": 2, \"updated\": 0, \"new_teams\": [\"sales\", "
      "\"support\"]}|\n"
      "cli|ops-maria|0|agents.import|agent||{\"added\": 0, \"agents\": 1, \"updated\": 0, \"new_teams\": []}|";
  EXPECT_EQ(sql(audit_query("agents.import")), imported);

  // In the same transaction: an audit insert that fails takes the import down with it.
  sql("ALTER TABLE audit_log ADD CONSTRAINT test_refused CHECK (action <> 'agents.import') NOT VALID");
  r = run({"agents", "import", scratch_.write("v3.csv", "address\ndan@example.org\n")}, operator_env);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(sql("SELECT count(*) FROM agent WHERE address = 'dan@example.org'"), "0");
  EXPECT_EQ(sql(audit_query("agents.import")), imported);
}

TEST_F(CampaignCli, CampaignStepsFromCreateToClose) {
  ASSERT_EQ(run({"agents", "import", scratch_.write("a.csv", "address,team\nalice@example.org,sales\n")}).exit_code, 0);
  const std::vector<std::string> operator_env = {"SUDO_USER=ops-maria"};
  auto r = run({"campaign", "create", "spring", "--target", "1GB", "--deadline", "2031-01-31", "--team", "sales",
                "--admin", "it@example.org"},
               operator_env);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "campaign 'spring' created")) << r.output;
  EXPECT_TRUE(contains(r.output, "1 rule(s)")) << r.output;

  r = run({"campaign", "create", "spring"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "already exists")) << r.output;
  r = run({"campaign", "create", "other", "--deadline", "someday"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "is not a date")) << r.output;
  r = run({"campaign", "create", "other", "--rule", "nope"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "no [[rule]] with that name")) << r.output;

  r = run({"campaign", "notify", "spring"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "is draft: notify needs it to be proposing or notifying or collecting")) << r.output;

  r = run({"campaign", "launch", "spring", "--no-crawl"}, operator_env);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "campaign is proposing")) << r.output;

  r = run({"campaign", "show", "spring", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto json = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  EXPECT_EQ(json["state"], "proposing");
  EXPECT_EQ(json["target_bytes"], 1000000000);
  EXPECT_EQ(json["admins"][0]["address"], "it@example.org");
  EXPECT_EQ(json["total"]["proposed"], 0);

  r = run({"campaign", "show", "spring"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "Campaign 'spring'")) << r.output;
  EXPECT_TRUE(contains(r.output, "target       1.0 GB")) << r.output;

  r = run({"campaign", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "spring")) << r.output;

  r = run({"campaign", "close", "spring"}, operator_env);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "closed (was proposing)")) << r.output;
  r = run({"campaign", "close", "spring"}, operator_env);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, "already closed")) << r.output;

  // Audited as the API's operations, by the operator: the creation, the launch with its options,
  // the close; not the refused creations and notify, nor closing a closed campaign.
  std::string id = sql("SELECT id FROM campaign WHERE name = 'spring'");
  EXPECT_EQ(sql(audit_query("campaign.%")),
            "cli|ops-maria|0|campaign.create|campaign|" + id + "|{\"name\": \"spring\", \"rules\": 1}|\n" +
                "cli|ops-maria|0|campaign.launch|campaign|" + id + "|{\"full\": false, \"crawl\": false}|\n" +
                "cli|ops-maria|0|campaign.close|campaign|" + id +
                "|{\"previous_state\": \"proposing\", \"notifications_cancelled\": 0}|");

  r = run({"campaign", "show", "autumn"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "no campaign named 'autumn'")) << r.output;
}

// The CLI records a progress page switch as the API does (action campaign.progress_page, details
// {"mode", "previous"}, never the token), as the operator (actor_kind cli, $SUDO_USER first), in
// the same transaction as the switch.
TEST_F(CampaignCli, ProgressPageSwitchIsAuditedWithIt) {
  ASSERT_EQ(run({"campaign", "create", "spring"}).exit_code, 0);
  std::string id = sql("SELECT id FROM campaign WHERE name = 'spring'");
  std::vector<std::string> operator_env = {"SUDO_USER=ops-maria"};
  const std::string switches =
      "SELECT actor_kind, actor, coalesce(account_id, 0), object_type, object_id, details->>'mode',"
      " details->>'previous', ip FROM audit_log WHERE action = 'campaign.progress_page' ORDER BY id";

  auto r = run({"campaign", "progress-page", "spring", "--public"}, operator_env);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(sql(switches), "cli|ops-maria|0|campaign|" + id + "|public|off|");

  r = run({"campaign", "progress-page", "spring", "--link"}, operator_env);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto at = r.output.find("/progress/");
  ASSERT_NE(at, std::string::npos) << r.output;
  std::string token = r.output.substr(at + 10, 43);
  EXPECT_EQ(sql(switches),
            "cli|ops-maria|0|campaign|" + id + "|public|off|\ncli|ops-maria|0|campaign|" + id + "|link|public|");
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE details::text LIKE '%" + token + "%'"), "0");

  // Showing the setting changes nothing and records nothing.
  ASSERT_EQ(run({"campaign", "progress-page", "spring"}).exit_code, 0);
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE action = 'campaign.progress_page'"), "2");
  // One row per switch, nothing else: the campaign_event rows match the audit rows.
  EXPECT_EQ(sql("SELECT count(*) FROM campaign_event WHERE step = 'progress-page'"), "2");

  // An audit insert that fails takes the switch down with it.
  sql("ALTER TABLE audit_log ADD CONSTRAINT test_refused CHECK (action <> 'campaign.progress_page') NOT VALID");
  r = run({"campaign", "progress-page", "spring", "--off"}, operator_env);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_FALSE(contains(r.output, "progress page off")) << r.output;
  EXPECT_EQ(sql("SELECT mode FROM progress_page WHERE campaign_id = " + id), "link");
  EXPECT_EQ(sql("SELECT count(*) FROM campaign_event WHERE step = 'progress-page'"), "2");
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE action = 'campaign.progress_page'"), "2");
}

}  // namespace
}  // namespace mailprune::test
