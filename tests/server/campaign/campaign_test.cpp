// Campaigns: creation and its checks, the state machine, closing, and progress against the target
// from proposals, the apply journal and measured sizes written directly.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "campaign/agents.hpp"
#include "campaign/campaign_store.hpp"
#include "campaign/notification_queue.hpp"
#include "campaign/progress.hpp"
#include "campaign/review_store.hpp"
#include "campaign_test_support.hpp"

namespace mailprune::test {
namespace {

using campaign::CampaignError;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(Campaigns, CreateSnapshotsRulesAndChecksItsInput) {
  CampaignDb db;
  db.mailbox("alice@example.org", "sales");
  campaign::CampaignSpec spec;
  spec.name = "spring";
  config::Rule rule;
  rule.name = "big-pdf";
  rule.action = config::RuleAction::detach;
  rule.min_attachment_size = 5000000;
  rule.file_names = {"*.pdf"};
  spec.rules = {rule};
  spec.scope.teams = {"sales"};
  spec.target_bytes = 1000000000;
  spec.starts_at = "2025-03-01";
  spec.deadline = "2025-03-21";
  spec.grace_days = 20;
  spec.language = "en";
  spec.admins = {{"DSI@example.org", "IT", "fr"}};
  auto created = campaign::create_campaign(db.connection(), db.config(), spec);
  EXPECT_EQ(created.state, "draft");
  EXPECT_EQ(created.rules.size(), 1u);
  EXPECT_EQ(created.rules[0]["name"], "big-pdf");
  EXPECT_EQ(created.rules[0]["min_attachment_size"], 5000000);
  EXPECT_EQ(created.scope["teams"], nlohmann::json::array({"sales"}));
  EXPECT_EQ(created.grace_days, 20);
  EXPECT_EQ(created.language, "en");
  ASSERT_EQ(created.admins.size(), 1u);
  EXPECT_EQ(created.admins[0].address, "dsi@example.org");
  // A bare deadline date is the end of that day (in the database's time zone).
  EXPECT_EQ(db.text("SELECT (deadline = ('2025-03-22'::date)::timestamptz - interval '1 second')::text FROM campaign"),
            "true");
  EXPECT_EQ(db.text("SELECT (starts_at = ('2025-03-01'::date)::timestamptz)::text FROM campaign"), "true");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM campaign_event WHERE step = 'create' AND to_state = 'draft'"), 1);

  // By name and by id.
  {
    pqxx::read_transaction tx(db.connection());
    EXPECT_EQ(campaign::require_campaign(tx, "spring").id, created.id);
    EXPECT_EQ(campaign::require_campaign(tx, std::to_string(created.id)).name, "spring");
    EXPECT_THROW(campaign::require_campaign(tx, "autumn"), CampaignError);
  }

  auto refused = [&](campaign::CampaignSpec s, const std::string& message) {
    try {
      campaign::create_campaign(db.connection(), db.config(), s);
      ADD_FAILURE() << "accepted: " << message;
    } catch (const CampaignError& e) {
      EXPECT_TRUE(contains(e.what(), message)) << e.what();
    }
  };
  refused(spec, "already exists");
  spec.name = "other";
  auto bad = spec;
  bad.deadline = "2025-02-30";
  refused(bad, "not a valid date");
  bad = spec;
  bad.deadline = "next friday";
  refused(bad, "not a date");
  bad = spec;
  bad.deadline = "2025-02-01";
  refused(bad, "after the start date");
  bad = spec;
  bad.scope.teams = {"nobody"};
  refused(bad, "no team named 'nobody'");
  bad = spec;
  bad.scope.sources = {"exchange"};
  refused(bad, "no [[source]] named 'exchange'");
  bad = spec;
  bad.rules.clear();
  refused(bad, "at least one rule");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM campaign"), 1);
}

TEST(Campaigns, StepsAreRefusedOutsideTheirStatesAndCloseIsFinal) {
  CampaignDb db;
  int alice = db.mailbox("alice@example.org");
  auto c = db.campaign("spring", "2030-01-31");
  {
    pqxx::work tx(db.connection());
    try {
      campaign::transition(tx, c.id, campaign::kNotifyFrom, "notifying", "notify");
      ADD_FAILURE() << "notify accepted in draft";
    } catch (const CampaignError& e) {
      EXPECT_TRUE(contains(e.what(), "is draft: notify needs it to be proposing or notifying or collecting"))
          << e.what();
    }
  }
  {
    pqxx::work tx(db.connection());
    EXPECT_EQ(campaign::transition(tx, c.id, campaign::kLaunchFrom, "crawling", "launch"), "draft");
    EXPECT_EQ(campaign::transition(tx, c.id, campaign::kLaunchFrom, "crawling", "launch"), "crawling");  // again
    EXPECT_EQ(campaign::transition(tx, c.id, {"crawling"}, "proposing", "plan"), "crawling");
    EXPECT_EQ(campaign::transition(tx, c.id, campaign::kNotifyFrom, "notifying", "notify"), "proposing");
    EXPECT_THROW(campaign::transition(tx, c.id, campaign::kLaunchFrom, "crawling", "launch"), CampaignError);
    tx.commit();
  }
  db.proposal(c.id, alice, {});
  {
    pqxx::work tx(db.connection());
    EXPECT_EQ(campaign::queue_review_notifications(tx, c.id).queued, 1);
    tx.commit();
  }
  auto closed = campaign::close_campaign(db.connection(), c.id, "test");
  EXPECT_EQ(closed.previous_state, "notifying");
  EXPECT_EQ(closed.notifications_cancelled, 1);
  EXPECT_EQ(db.text("SELECT state || '|' || (closed_at IS NOT NULL) FROM campaign"), "closed|true");
  EXPECT_EQ(db.text("SELECT status FROM notification"), "cancelled");
  EXPECT_EQ(campaign::close_campaign(db.connection(), c.id).previous_state, "closed");  // idempotent
  {
    pqxx::work tx(db.connection());
    EXPECT_THROW(campaign::transition(tx, c.id, campaign::kNotifyFrom, "notifying", "notify"), CampaignError);
  }
  EXPECT_EQ(db.text("SELECT string_agg(step || ':' || coalesce(from_state, '-') || '>' || to_state, ' ' ORDER BY id)"
                    " FROM campaign_event"),
            "create:->draft launch:draft>crawling launch:crawling>crawling plan:crawling>proposing "
            "notify:proposing>notifying close:notifying>closed");
}

TEST(Campaigns, ShowCountsProgressAgainstTheTargetPerTeamAndAgent) {
  CampaignDb db;
  int alice = db.mailbox("alice@example.org", "sales", 50000000);
  int bob = db.mailbox("bob@example.org", "sales", 10000000);
  int carol = db.mailbox("carol@example.org", "support");
  campaign::import_agents(db.connection(), {{"alice@example.org", "Alice Martin", "sales", "fr"},
                                            {"bob@example.org", "Bob Durand", "sales", "fr"},
                                            {"carol@example.org", "Carol Petit", "support", "en"}});
  auto c = db.campaign("spring", "2030-01-31", 10000000);
  db.set_state(c.id, "collecting");
  auto p = [&](int mailbox, std::int64_t bytes, const std::string& decision, const std::string& approval = "opt-out",
               bool selected = true) {
    CampaignDb::Proposal proposal;
    proposal.bytes = bytes;
    proposal.decision = decision;
    proposal.approval = approval;
    proposal.selected = selected;
    return db.proposal(c.id, mailbox, proposal);
  };
  p(alice, 2000000, "approved");
  p(alice, 1000000, "refused");
  p(alice, 3000000, "pending");
  auto applied = p(bob, 4000000, "approved");
  p(bob, 9000000, "pending", "opt-out", false);  // not selected: not part of the campaign's plan
  p(carol, 500000, "pending", "opt-in");

  // bob's proposal was carried out, and the server measured 3.9 MB freed.
  db.exec(fmt::format(
      "INSERT INTO apply_run (campaign_id, status) VALUES ({0}, 'done');"
      "INSERT INTO action (campaign_id, kind, mailbox_id, folder_name, uidvalidity, uid, step, bytes_estimated)"
      " VALUES ({0}, 'detach', {1}, 'INBOX', 1, 77, 'done', 4000000);"
      "INSERT INTO action_proposal (proposal_id, action_id) SELECT {2}, id FROM action;"
      "INSERT INTO apply_measure (apply_run_id, mailbox_id, bytes_before, bytes_after)"
      " SELECT id, {1}, 10000000, 6100000 FROM apply_run;",
      c.id, bob, applied));

  auto progress = campaign::campaign_progress(db.connection(), "spring");
  const auto& t = progress.total;
  EXPECT_EQ(t.proposed, 5);
  EXPECT_EQ(t.proposed_bytes, 10500000);
  EXPECT_EQ(t.approved, 2);
  EXPECT_EQ(t.approved_bytes, 6000000);
  EXPECT_EQ(t.refused, 1);
  EXPECT_EQ(t.refused_bytes, 1000000);
  EXPECT_EQ(t.pending, 2);
  EXPECT_EQ(t.pending_bytes, 3500000);
  EXPECT_EQ(t.applied, 1);
  EXPECT_EQ(t.freed_estimated, 4000000);
  ASSERT_TRUE(t.freed_measured.has_value());
  EXPECT_EQ(*t.freed_measured, 3900000);

  ASSERT_EQ(progress.teams.size(), 2u);
  EXPECT_EQ(progress.teams[0].team, "sales");
  EXPECT_EQ(progress.teams[0].agents, 2);
  EXPECT_EQ(progress.teams[0].counts.proposed, 4);
  EXPECT_EQ(progress.teams[0].counts.approved_bytes, 6000000);
  EXPECT_EQ(progress.teams[1].team, "support");
  EXPECT_EQ(progress.teams[1].counts.pending_bytes, 500000);
  EXPECT_FALSE(progress.teams[1].counts.freed_measured.has_value());

  ASSERT_EQ(progress.agents.size(), 3u);
  EXPECT_EQ(progress.agents[0].address, "alice@example.org");
  EXPECT_EQ(progress.agents[0].display_name, "Alice Martin");
  EXPECT_EQ(progress.agents[0].counts.proposed, 3);
  EXPECT_EQ(progress.agents[0].counts.refused, 1);
  EXPECT_EQ(progress.agents[1].address, "bob@example.org");
  EXPECT_EQ(progress.agents[1].counts.applied, 1);
  EXPECT_EQ(*progress.agents[1].counts.freed_measured, 3900000);
  EXPECT_EQ(progress.agents[2].team, "support");

  auto table = campaign::render_progress(progress, "table");
  EXPECT_TRUE(contains(table, "Campaign 'spring'")) << table;
  EXPECT_TRUE(contains(table, "approved     2 items, 6.0 MB (60.0% of the target)")) << table;
  EXPECT_TRUE(contains(table, "measured     3.9 MB freed (39.0% of the target)")) << table;
  EXPECT_TRUE(contains(table, "By team")) << table;
  EXPECT_TRUE(contains(table, "carol@example.org")) << table;

  auto json = nlohmann::json::parse(campaign::render_progress(progress, "json"));
  EXPECT_EQ(json["total"]["approved_bytes"], 6000000);
  EXPECT_EQ(json["total"]["freed_measured"], 3900000);
  EXPECT_EQ(json["teams"][1]["freed_measured"], nullptr);
  EXPECT_EQ(json["agents"][0]["display_name"], "Alice Martin");
  EXPECT_EQ(json["target_bytes"], 10000000);
  EXPECT_EQ(json["state"], "collecting");

  auto csv = campaign::render_progress(progress, "csv");
  EXPECT_TRUE(contains(csv, "alice@example.org,Alice Martin,sales,3,6000000,1,2000000,1,1,0,0,\r\n")) << csv;
}

TEST(Campaigns, AtTheDeadlinePendingOptOutProposalsBecomeApproved) {
  CampaignDb db;
  int alice = db.mailbox("alice@example.org");
  campaign::import_agents(db.connection(), {{"alice@example.org", "Alice", "", "fr"}});
  auto c = db.campaign("spring", "2030-01-31");
  auto p = [&](const std::string& approval, const std::string& decision, bool selected = true) {
    CampaignDb::Proposal proposal;
    proposal.approval = approval;
    proposal.decision = decision;
    proposal.selected = selected;
    return db.proposal(c.id, alice, proposal);
  };
  auto opt_out = p("opt-out", "pending");
  auto refused = p("opt-out", "refused");
  auto opt_in = p("opt-in", "pending");
  auto unselected = p("opt-out", "pending", false);
  auto approve = [&] {
    pqxx::work tx(db.connection());
    int n = campaign::approve_opt_out_after_deadline(tx, c.id);
    tx.commit();
    return n;
  };
  EXPECT_EQ(approve(), 0);  // before the deadline
  db.exec("UPDATE campaign SET deadline = now() - interval '1 minute'");
  EXPECT_EQ(approve(), 1);
  EXPECT_EQ(approve(), 0);  // idempotent
  auto decision = [&](std::int64_t id) {
    return db.text("SELECT decision FROM proposal WHERE id = " + std::to_string(id));
  };
  EXPECT_EQ(decision(opt_out), "approved");
  EXPECT_EQ(decision(refused), "refused");
  EXPECT_EQ(decision(opt_in), "pending");
  EXPECT_EQ(decision(unselected), "pending");
  EXPECT_EQ(db.text("SELECT origin || ':' || previous_decision || '>' || decision || ':' || (agent_id IS NOT NULL)"
                    " FROM decision_audit"),
            "deadline:pending>approved:true");
}

TEST(Campaigns, ListShowsEveryCampaign) {
  CampaignDb db;
  EXPECT_TRUE(
      contains(campaign::render_campaign_list(campaign::list_campaigns(db.connection()), "table"), "No campaign yet"));
  db.campaign("a", "", 5000);
  db.campaign("b");
  auto list = campaign::list_campaigns(db.connection());
  ASSERT_EQ(list.size(), 2u);
  auto json = nlohmann::json::parse(campaign::render_campaign_list(list, "json"));
  EXPECT_EQ(json[0]["name"], "a");
  EXPECT_EQ(json[0]["target_bytes"], 5000);
  EXPECT_EQ(json[1]["target_bytes"], nullptr);
}

// The transaction forms of create and close write in the caller's transaction and never commit:
// abandoned, there is no campaign and no close; committed, both are there with their events.
TEST(Campaigns, CreateAndCloseInTheCallersTransactionCommitWithItOnly) {
  CampaignDb db;
  campaign::CampaignSpec spec;
  spec.name = "summer";
  config::Rule rule;
  rule.name = "big";
  rule.action = config::RuleAction::detach;
  rule.min_attachment_size = 1000000;
  spec.rules = {rule};
  {
    pqxx::work tx(db.connection());
    EXPECT_EQ(campaign::create_campaign(tx, db.config(), spec).name, "summer");
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM campaign"), 0);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM campaign_event"), 0);
  int id = 0;
  {
    pqxx::work tx(db.connection());
    id = campaign::create_campaign(tx, db.config(), spec).id;
    tx.commit();
  }
  {
    pqxx::work tx(db.connection());
    EXPECT_EQ(campaign::close_campaign(tx, id, "test").previous_state, "draft");
    EXPECT_EQ(campaign::close_campaign(tx, id).previous_state, "closed");  // seen inside the transaction
  }
  EXPECT_EQ(db.text("SELECT state || '|' || (closed_at IS NULL) FROM campaign"), "draft|true");
  {
    pqxx::work tx(db.connection());
    EXPECT_EQ(campaign::close_campaign(tx, id, "test").previous_state, "draft");
    tx.commit();
  }
  EXPECT_EQ(db.text("SELECT state || '|' || (closed_at IS NULL) FROM campaign"), "closed|false");
  EXPECT_EQ(db.text("SELECT string_agg(step, ' ' ORDER BY id) FROM campaign_event"), "create close");
}

}  // namespace
}  // namespace mailprune::test
