// `campaign launch` end to end on the library: a crawl of the scope through the fake connector,
// then the planner, the state machine around them, and a scope by team crawling only that team.
#include <gtest/gtest.h>

#include "campaign/agents.hpp"
#include "campaign/launch.hpp"
#include "campaign/progress.hpp"
#include "inventory_test_support.hpp"

namespace mailprune::test {
namespace {

class Launch : public ::testing::Test {
 protected:
  void SetUp() override {
    populate(fake_);
    db_ = std::make_unique<TestDb>(sample_agents());
    config::Rule rule;
    rule.name = "over-50k";
    rule.action = config::RuleAction::detach;
    rule.approval = config::Approval::opt_out;
    rule.min_attachment_size = 50000;
    db_->config.policy.rules = {rule};
    connection_ = db_->connect();
  }

  campaign::LaunchResult launch(const std::string& name, bool crawl = true) {
    campaign::LaunchDependencies dependencies;
    dependencies.connections = db_->factory();
    dependencies.connectors = [this](const config::SourceConfig&) {
      return std::unique_ptr<connector::Connector>(std::make_unique<Forward>(fake_));
    };
    campaign::LaunchOptions options;
    options.crawl = crawl;
    options.retry_backoff = std::chrono::milliseconds(1);
    return campaign::launch_campaign(*connection_, db_->config, name, dependencies, options);
  }

  campaign::CampaignRow create(const std::string& name, std::vector<std::string> teams = {}) {
    campaign::CampaignSpec spec;
    spec.name = name;
    spec.rules = db_->config.policy.rules;
    spec.scope.teams = std::move(teams);
    spec.deadline = "2031-01-01";
    return campaign::create_campaign(*connection_, db_->config, spec);
  }

  struct Forward : connector::Connector {
    explicit Forward(FakeConnector& f) : fake(f) {}
    std::string kind() const override { return fake.kind(); }
    std::unique_ptr<connector::MailboxSession> open(const std::string& m) override { return fake.open(m); }
    FakeConnector& fake;
  };

  FakeConnector fake_;
  std::unique_ptr<TestDb> db_;
  std::unique_ptr<pqxx::connection> connection_;
};

TEST_F(Launch, CrawlsThenPlansAndCanBeRunAgain) {
  create("spring");
  auto result = launch("spring");
  ASSERT_EQ(result.crawls.size(), 1u);
  EXPECT_EQ(result.sources_crawled, std::vector<std::string>{"fake"});
  EXPECT_EQ(result.crawls[0].mailboxes_done, 3u);
  EXPECT_EQ(result.state, "proposing");
  // Attachments of 50 000 bytes or more in the sample: d1 three times, d3 twice, 12345-byte no,
  // 100 000-byte "other" and "almost": 7.
  EXPECT_EQ(result.plan.proposals, 7);
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM proposal WHERE selected"), 7);
  auto progress = campaign::campaign_progress(*connection_, "spring");
  EXPECT_EQ(progress.total.proposed, 7);
  EXPECT_EQ(progress.teams.size(), 2u);

  // Again (nothing decided yet, nothing changed: the pending proposals stay as they are).
  const auto ids = db_->scalar("SELECT sum(id) FROM proposal");
  result = launch("spring");
  EXPECT_EQ(result.plan.proposals, 0);
  EXPECT_EQ(result.plan.unchanged, 7);
  EXPECT_EQ(db_->scalar("SELECT sum(id) FROM proposal"), ids);
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM proposal"), 7);
  // Plan only.
  EXPECT_TRUE(launch("spring", false).crawls.empty());

  auto history = campaign::campaign_progress(*connection_, "spring").history;
  ASSERT_GE(history.size(), 4u);
  EXPECT_EQ(history[1].step, "launch");
  EXPECT_EQ(history[1].to_state, "crawling");
  EXPECT_EQ(history[2].step, "crawl");
  EXPECT_NE(history[2].detail.find("fake:"), std::string::npos);
  EXPECT_EQ(history[3].step, "plan");

  // Once agents have been written to, launch is refused.
  {
    pqxx::work tx(*connection_);
    campaign::transition(tx, progress.campaign.id, campaign::kNotifyFrom, "notifying", "notify");
    tx.commit();
  }
  EXPECT_THROW(launch("spring"), campaign::CampaignError);
}

TEST_F(Launch, ATeamScopeCrawlsAndPlansOnlyThatTeam) {
  create("support-only", {"support"});
  auto result = launch("support-only");
  ASSERT_EQ(result.crawls.size(), 1u);
  EXPECT_EQ(result.crawls[0].mailboxes_total, 1u);  // carol
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM mailbox WHERE last_crawled_at IS NOT NULL"), 1);
  // carol: data.csv (d3, 100 000 bytes); her logos are small.
  EXPECT_EQ(result.plan.proposals, 1);
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM proposal p JOIN mailbox m ON m.id = p.mailbox_id"
                        " WHERE m.address <> 'carol@example.org'"),
            0);
}

TEST_F(Launch, ImportedTeamsDecideTheScope) {
  // bob moves to support by import: a support campaign now crawls bob and carol.
  campaign::import_agents(*connection_, {{"bob@example.org", "Bob", "support", "fr"}});
  create("support", {"support"});
  auto result = launch("support");
  ASSERT_EQ(result.crawls.size(), 1u);
  EXPECT_EQ(result.crawls[0].mailboxes_total, 2u);
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM proposal p JOIN mailbox m ON m.id = p.mailbox_id"
                        " WHERE m.address = 'alice@example.org'"),
            0);
  EXPECT_GT(db_->scalar("SELECT count(*) FROM proposal p JOIN mailbox m ON m.id = p.mailbox_id"
                        " WHERE m.address = 'bob@example.org'"),
            0);
}

}  // namespace
}  // namespace mailprune::test
