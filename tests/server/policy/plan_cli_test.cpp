// `mailprune plan` and `mailprune hold` as users run them, against the harness's PostgreSQL:
// creating a campaign, --what-if writing nothing, usage errors and hints, holds added, listed and
// removed, configuration errors with file and line.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/cli_test_support.hpp"
#include "policy_test_support.hpp"

namespace mailprune::test {
namespace {

using mailprune::testing::contains;
using mailprune::testing::Scratch;

class PlanCli : public PlannerTest {
 protected:
  void SetUp() override {
    PlannerTest::SetUp();
    int box = inventory_->folder(inventory_->mailbox("alice@example.org", "sales"), "INBOX");
    MessageSpec m;
    m.subject = "m";
    auto id = inventory_->message(box, m);
    AttachmentSpec a;
    a.name = "big.pdf";
    a.size = 7000000;
    inventory_->attachment(id, a);
    auto& pg = PostgresServer::shared();
    database_ = url_.substr(url_.rfind('/') + 1);
    base_ = fmt::format("[database]\nurl = \"postgresql://{}@{}:{}/{}\"\npassword_env = \"MP_TEST_DB_PASSWORD\"\n",
                        pg.superuser(), pg.host(), pg.port(), database_);
  }
  // `extra_env`: e.g. SUDO_USER, who the audit rows name.
  platform::RunResult run(const std::string& config, const std::vector<std::string>& args,
                          const std::vector<std::string>& extra_env = {}) {
    std::string path = scratch_.write("mailprune.toml", base_ + config);
    std::vector<std::string> argv{"--config", path, "--log-level", "warn"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> env{"MP_TEST_DB_PASSWORD=" + PostgresServer::shared().password()};
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    return mailprune::testing::mailprune(argv, env);
  }
  // The audit rows, oldest first: "actor_kind actor action object_type:object_id details ip".
  std::vector<std::string> audit_rows() {
    pqxx::connection c(url_);
    pqxx::read_transaction tx(c);
    std::vector<std::string> rows;
    for (const auto& r : tx.exec("SELECT actor_kind || ' ' || actor || ' ' || action || ' ' || object_type || ':' ||"
                                 " object_id || ' ' || details::text || ' ' || ip FROM audit_log ORDER BY id")) {
      rows.push_back(r[0].as<std::string>());
    }
    return rows;
  }
  std::int64_t rows() {
    return scalar(
        "SELECT (SELECT count(*) FROM campaign) + (SELECT count(*) FROM proposal) +"
        " (SELECT count(*) FROM plan_skip) + (SELECT count(*) FROM hold) + (SELECT count(*) FROM plan_unselected)");
  }

  Scratch scratch_;
  std::string database_;
  std::string base_;
};

constexpr const char* kRules =
    "[[rule]]\nname = \"big\"\naction = \"detach\"\nmin_attachment_size = \"5MB\"\n"
    "[[hold]]\nsender = \"boss@example.org\"\nreason = \"kept\"\n";

TEST_F(PlanCli, WhatIfWritesNothingThenPlanCreatesTheCampaign) {
  auto what_if = run(kRules, {"plan", "--campaign", "spring", "--target", "10MB", "--what-if", "--format", "json"});
  ASSERT_EQ(what_if.exit_code, 0) << what_if.output;
  auto json = nlohmann::json::parse(what_if.output.substr(what_if.output.find('{')));
  EXPECT_TRUE(json["what_if"].get<bool>());
  EXPECT_EQ(json["proposals"]["bytes"], 7000000);
  EXPECT_EQ(json["target_bytes"], 10000000);
  EXPECT_FALSE(json["reached"].get<bool>());
  EXPECT_EQ(json["shortfall_bytes"], 3000000);
  EXPECT_EQ(rows(), 0) << "no campaign, proposal, skip or mirrored hold";

  auto plan = run(kRules, {"plan", "--campaign", "spring", "--target", "5 MiB"});
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  EXPECT_TRUE(contains(plan.output, "campaign 'spring' created")) << plan.output;
  EXPECT_TRUE(contains(plan.output, "target 5.2 MB: reached")) << plan.output;
  EXPECT_TRUE(contains(plan.output, "By team")) << plan.output;
  EXPECT_EQ(scalar("SELECT target_bytes FROM campaign WHERE name = 'spring'"), 5242880);
  EXPECT_EQ(scalar("SELECT count(*) FROM proposal"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM campaign WHERE state = 'proposing' AND jsonb_array_length(rules) = 1"), 1);

  // A what-if on the existing campaign leaves its target and proposals as they are.
  auto again = run(kRules, {"plan", "--campaign", "spring", "--target", "1GB", "--what-if"});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(contains(again.output, "what-if")) << again.output;
  EXPECT_EQ(scalar("SELECT target_bytes FROM campaign WHERE name = 'spring'"), 5242880);
  EXPECT_EQ(scalar("SELECT count(*) FROM proposal"), 1);
}

TEST_F(PlanCli, UsageErrors) {
  auto no_rules = run("", {"plan", "--campaign", "x"});
  EXPECT_EQ(no_rules.exit_code, 2) << no_rules.output;
  EXPECT_TRUE(contains(no_rules.output, "no [[rule]] is configured")) << no_rules.output;
  EXPECT_TRUE(contains(no_rules.output, "hint:")) << no_rules.output;

  auto bad_target = run(kRules, {"plan", "--campaign", "x", "--target", "lots"});
  EXPECT_EQ(bad_target.exit_code, 2);
  EXPECT_TRUE(contains(bad_target.output, "--target \"lots\" is not a size")) << bad_target.output;

  auto bad_team = run(kRules, {"plan", "--campaign", "x", "--team", "nobody"});
  EXPECT_EQ(bad_team.exit_code, 2);
  EXPECT_TRUE(contains(bad_team.output, "no team named nobody")) << bad_team.output;
  EXPECT_EQ(rows(), 0);

  auto bad_config =
      run("[[rule]]\nname = \"r\"\naction = \"delete\"\nfile_names = [\"*.pdf\"]\n", {"plan", "--campaign", "x"});
  EXPECT_EQ(bad_config.exit_code, 2);
  EXPECT_TRUE(contains(bad_config.output, "mailprune.toml:7: key 'rule[0].file_names': is an attachment condition"))
      << bad_config.output;

  auto help = run("", {"plan", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(contains(help.output, "--what-if")) << help.output;
  EXPECT_TRUE(contains(help.output, "Examples:")) << help.output;
}

// Once the agents have been e-mailed, their pending items must not change under them: plan (and
// what-if) refuse with status 2 and leave the proposals as they are; a proposing campaign re-plans.
TEST_F(PlanCli, RefusesToReplanOnceAgentsAreEmailed) {
  auto plan = run(kRules, {"plan", "--campaign", "spring"});
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  std::int64_t proposals = scalar("SELECT count(*) FROM proposal");
  ASSERT_EQ(proposals, 1);
  std::int64_t first_id = scalar("SELECT min(id) FROM proposal");
  for (const char* state : {"notifying", "collecting", "applying", "closed"}) {
    exec(fmt::format("UPDATE campaign SET state = '{}' WHERE name = 'spring'", state));
    exec("DELETE FROM proposal");  // a re-plan would write it again
    for (bool what_if : {false, true}) {
      std::vector<std::string> args{"plan", "--campaign", "spring"};
      if (what_if) args.push_back("--what-if");
      auto again = run(kRules, args);
      EXPECT_EQ(again.exit_code, 2) << state << ": " << again.output;
      EXPECT_TRUE(contains(again.output, fmt::format("campaign 'spring' is {}", state))) << again.output;
      EXPECT_EQ(scalar("SELECT count(*) FROM proposal"), 0) << state;
    }
    EXPECT_EQ(scalar(fmt::format("SELECT count(*) FROM campaign WHERE name = 'spring' AND state = '{}'", state)), 1);
  }
  exec("UPDATE campaign SET state = 'proposing' WHERE name = 'spring'");
  auto replan = run(kRules, {"plan", "--campaign", "spring"});
  ASSERT_EQ(replan.exit_code, 0) << replan.output;
  EXPECT_EQ(scalar("SELECT count(*) FROM proposal"), 1);
  EXPECT_GT(scalar("SELECT min(id) FROM proposal"), first_id);
}

TEST_F(PlanCli, HoldAddListRemove) {
  const std::vector<std::string> operator_env = {"SUDO_USER=ops-maria"};
  auto added =
      run(kRules,
          {"hold", "add", "--mailbox", "alice@*", "--from", "2020-01-01", "--to", "2020-12-31", "--reason", "case 12"},
          operator_env);
  ASSERT_EQ(added.exit_code, 0) << added.output;
  auto list = run(kRules, {"hold", "list", "--format", "json"});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  auto holds = nlohmann::json::parse(list.output.substr(list.output.find('[')));
  ASSERT_EQ(holds.size(), 2u) << "the configured hold is mirrored too";
  int cli_id = 0, config_id = 0;
  for (const auto& h : holds) (h["origin"] == "cli" ? cli_id : config_id) = h["id"].get<int>();
  for (const auto& h : holds) {
    if (h["origin"] != "cli") continue;
    EXPECT_EQ(h["mailbox"], "alice@*");
    EXPECT_EQ(h["date_from"], "2020-01-01 00:00:00.000000+00");
    EXPECT_EQ(h["date_to"], "2020-12-31 23:59:59.999999+00");
    EXPECT_EQ(h["reason"], "case 12");
    EXPECT_EQ(h["created_by"], "ops-maria");
  }
  auto table = run(kRules, {"hold", "list"});
  EXPECT_TRUE(contains(table.output, "2020-12-31")) << table.output;

  auto none = run(kRules, {"hold", "add", "--reason", "everything"});
  EXPECT_EQ(none.exit_code, 2);
  auto reversed =
      run(kRules, {"hold", "add", "--sender", "x@y", "--from", "2021-01-01", "--to", "2020-01-01", "--reason", "r"});
  EXPECT_EQ(reversed.exit_code, 2) << reversed.output;
  auto config_remove = run(kRules, {"hold", "remove", std::to_string(config_id)});
  EXPECT_EQ(config_remove.exit_code, 2);
  EXPECT_TRUE(contains(config_remove.output, "remove it there")) << config_remove.output;
  auto removed = run(kRules, {"hold", "remove", std::to_string(cli_id)}, operator_env);
  EXPECT_EQ(removed.exit_code, 0) << removed.output;
  EXPECT_EQ(scalar("SELECT count(*) FROM hold"), 1);
  EXPECT_EQ(run(kRules, {"hold", "remove", std::to_string(cli_id)}).exit_code, 2);

  // Audited as the API's POST and DELETE /holds (hold.create with the reason, hold.remove), by the
  // operator, without an address; the refused additions and removals are not.
  const std::string hold = "hold:" + std::to_string(cli_id);
  EXPECT_EQ(audit_rows(), (std::vector<std::string>{"cli ops-maria hold.create " + hold + R"( {"reason": "case 12"} )",
                                                    "cli ops-maria hold.remove " + hold + " {} "}));

  // In the same transaction: an audit insert that fails takes the hold down with it.
  exec("ALTER TABLE audit_log ADD CONSTRAINT test_refused CHECK (action <> 'hold.create') NOT VALID");
  auto refused = run(kRules, {"hold", "add", "--sender", "x@example.org", "--reason", "r"}, operator_env);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_EQ(scalar("SELECT count(*) FROM hold"), 1);
  EXPECT_EQ(audit_rows().size(), 2u);
}

}  // namespace
}  // namespace mailprune::test
