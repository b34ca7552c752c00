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
    config_ =
        scratch_.write("mailprune.toml", "[database]\nurl = \"host=127.0.0.1 port=" + std::to_string(server.port()) +
                                             " dbname=" + name + " user=" + server.superuser() +
                                             "\"\npassword_env = \"MAILPRUNE_TEST_DB_PASSWORD\"\n\n"
                                             "[[rule]]\nname = \"large-attachments\"\naction = \"detach\"\n"
                                             "approval = \"opt-out\"\nmin_attachment_size = 1000000\n");
    env_ = {"MAILPRUNE_TEST_DB_PASSWORD=" + server.password()};
  }

  platform::RunResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config_, "--log-format", "text"});
    return mailprune(args, env_);
  }

  testing::Scratch scratch_;
  std::string config_;
  std::vector<std::string> env_;
};

TEST_F(CampaignCli, AgentsImportReimportAndList) {
  auto v1 = scratch_.write("v1.csv",
                           "address,display_name,team,language\nalice@example.org,Alice,sales,fr\n"
                           "bob@example.org,Bob,support,en\n");
  auto r = run({"agents", "import", v1});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "2 agents in " + v1 + ": 2 added, 0 updated, 0 unchanged")) << r.output;
  EXPECT_TRUE(contains(r.output, "new teams: sales, support")) << r.output;

  auto v2 = scratch_.write("v2.csv", "address,display_name,team,language\nalice@example.org,Alice,sales,fr\n");
  r = run({"agents", "import", v2});
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
}

TEST_F(CampaignCli, CampaignStepsFromCreateToClose) {
  ASSERT_EQ(run({"agents", "import", scratch_.write("a.csv", "address,team\nalice@example.org,sales\n")}).exit_code, 0);
  auto r = run({"campaign", "create", "spring", "--target", "1GB", "--deadline", "2031-01-31", "--team", "sales",
                "--admin", "it@example.org"});
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

  r = run({"campaign", "launch", "spring", "--no-crawl"});
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

  r = run({"campaign", "close", "spring"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "closed (was proposing)")) << r.output;
  r = run({"campaign", "close", "spring"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, "already closed")) << r.output;

  r = run({"campaign", "show", "autumn"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "no campaign named 'autumn'")) << r.output;
}

}  // namespace
}  // namespace mailprune::test
