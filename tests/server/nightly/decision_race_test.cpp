// A review decision and apply's enqueue of approved proposals at the same moment, against a real
// PostgreSQL: whichever commits first wins and the other sees it (review_store.cpp record_decisions,
// apply/journal.cpp enqueue_approved). The interleavings are forced: a transaction held open, and a
// table lock that stops enqueue after it has taken its row locks; each test waits until the other
// session is really blocked (pg_stat_activity) before letting go.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "apply/journal.hpp"
#include "campaign/agents.hpp"
#include "campaign/review_store.hpp"
#include "campaign_test_support.hpp"

namespace mailprune::test {
namespace {

struct RaceScene {
  CampaignDb db;
  int campaign_id = 0;
  int agent_id = 0;
  std::int64_t first = 0;   // approved by the agent
  std::int64_t second = 0;  // approved too

  RaceScene() {
    int mailbox = db.mailbox("alice@example.org", "sales");
    campaign::import_agents(db.connection(), {{"alice@example.org", "Alice Martin", "sales", "fr"}});
    auto c = db.campaign("race", "2030-06-30");
    campaign_id = c.id;
    db.set_state(c.id, "collecting");
    CampaignDb::Proposal p;
    p.decision = "approved";
    first = db.proposal(c.id, mailbox, p);
    p.file_name = "other.pdf";
    second = db.proposal(c.id, mailbox, p);
    agent_id = static_cast<int>(db.scalar("SELECT id FROM agent WHERE address = 'alice@example.org'"));
  }

  apply::EnqueueResult enqueue() {
    auto connection = db.connect();
    apply::TargetFolders targets;
    targets.quarantine_folder = "mailprune/Quarantine";
    targets.archive_folder = "Archives/{year}";
    return apply::enqueue_approved(*connection, campaign_id, targets, apply::Runner::current());
  }

  campaign::DecisionResult refuse_first(pqxx::connection& connection, bool commit) {
    pqxx::work tx(connection);
    campaign::DecisionContext context;
    auto result = campaign::record_decisions(tx, campaign_id, agent_id, {{first, "refused"}}, context);
    if (commit) tx.commit();
    return result;
  }

  // Waits until `sessions` other sessions wait for a lock; false after 10 s.
  bool wait_for_lock_waiters(int sessions) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < give_up) {
      if (db.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'") >= sessions) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  bool in_journal(std::int64_t proposal) {
    return db.scalar("SELECT count(*) FROM action_proposal WHERE proposal_id = " + std::to_string(proposal)) > 0;
  }
};

TEST(DecisionRace, RefusalInFlightIsSeenByEnqueue) {
  RaceScene scene;
  auto review = scene.db.connect();
  pqxx::work tx(*review);
  campaign::DecisionContext context;
  auto decided = campaign::record_decisions(tx, scene.campaign_id, scene.agent_id, {{scene.first, "refused"}}, context);
  ASSERT_EQ(decided.changed, 1);
  // Apply starts while the refusal is not committed yet: it must wait for it, not take the
  // proposal as approved from its snapshot.
  auto enqueued = std::async(std::launch::async, [&] { return scene.enqueue(); });
  const bool waited = scene.wait_for_lock_waiters(1);
  tx.commit();
  auto result = enqueued.get();
  EXPECT_TRUE(waited) << "enqueue did not wait for the decision in flight";
  EXPECT_EQ(result.proposals, 1u);
  EXPECT_FALSE(scene.in_journal(scene.first)) << "a refused proposal went into the journal";
  EXPECT_TRUE(scene.in_journal(scene.second));
  EXPECT_EQ(scene.db.text("SELECT decision FROM proposal WHERE id = " + std::to_string(scene.first)), "refused");
}

TEST(DecisionRace, DecisionAfterEnqueueTookTheProposalIsRefused) {
  RaceScene scene;
  // Stop enqueue between its row locks and its INSERT: a lock on action_proposal held here.
  auto blocker = scene.db.connect();
  pqxx::work hold(*blocker);
  hold.exec("LOCK TABLE action_proposal IN SHARE MODE");
  auto enqueued = std::async(std::launch::async, [&] { return scene.enqueue(); });
  ASSERT_TRUE(scene.wait_for_lock_waiters(1));
  // The agent refuses now: it must wait for enqueue and then see the proposal in the journal.
  auto review = scene.db.connect();
  auto decided = std::async(std::launch::async, [&] { return scene.refuse_first(*review, true); });
  const bool both_waiting = scene.wait_for_lock_waiters(2);
  hold.commit();
  auto result = enqueued.get();
  auto decision = decided.get();
  EXPECT_TRUE(both_waiting) << "the decision did not wait for enqueue's row locks";
  EXPECT_EQ(result.proposals, 2u);
  EXPECT_TRUE(scene.in_journal(scene.first));
  EXPECT_EQ(decision.changed, 0);
  EXPECT_EQ(decision.refused, 1);
  EXPECT_EQ(scene.db.text("SELECT decision FROM proposal WHERE id = " + std::to_string(scene.first)), "approved");
  EXPECT_EQ(scene.db.scalar("SELECT count(*) FROM decision_audit"), 0);
}

}  // namespace
}  // namespace mailprune::test
