// Agents: import, re-import (updates without losing decisions, missing agents kept and listed),
// the link to mailbox rows by address, and consistency with the crawl's own agents list.
#include <gtest/gtest.h>

#include "campaign/agents.hpp"
#include "campaign/review_store.hpp"
#include "campaign_test_support.hpp"
#include "config/agents_csv.hpp"
#include "inventory/crawl_records.hpp"

namespace mailprune::test {
namespace {

std::vector<config::Agent> parse(const std::string& csv) {
  std::vector<config::ConfigError> errors;
  auto agents = config::parse_agents_csv(csv, "agents.csv", errors);
  EXPECT_TRUE(errors.empty());
  return agents;
}

using Strings = std::vector<std::string>;

TEST(Agents, ImportThenReimportUpdatesKeepsDecisionsAndListsMissing) {
  CampaignDb db;
  int alice_mailbox = db.mailbox("alice@example.org", "old-team");
  db.mailbox("bob@example.org");

  auto first = campaign::import_agents(db.connection(), parse("address,display_name,team,language\n"
                                                              "Alice@Example.org,Alice Martin,sales,fr\n"
                                                              "bob@example.org,Bob Durand,support,en\n"
                                                              "carol@example.org,\"Carol, Jr.\",sales,\n"));
  EXPECT_EQ(first.added, (Strings{"alice@example.org", "bob@example.org", "carol@example.org"}));
  EXPECT_TRUE(first.updated.empty());
  EXPECT_TRUE(first.missing.empty());
  EXPECT_EQ(first.new_teams, (Strings{"sales", "support"}));
  EXPECT_EQ(first.mailboxes_updated, 2);
  // The mailbox rows follow their agent at once.
  EXPECT_EQ(db.text("SELECT display_name || '|' || t.name || '|' || language FROM mailbox m JOIN team t"
                    " ON t.id = m.team_id WHERE address = 'alice@example.org'"),
            "Alice Martin|sales|fr");
  EXPECT_EQ(db.text("SELECT language FROM mailbox WHERE address = 'bob@example.org'"), "en");
  const auto alice_id = db.scalar("SELECT id FROM agent WHERE address = 'alice@example.org'");

  // A decision recorded before the re-import.
  auto c = db.campaign("spring");
  db.set_state(c.id, "collecting");
  auto proposal = db.proposal(c.id, alice_mailbox, {});
  {
    pqxx::work tx(db.connection());
    campaign::DecisionContext context;
    context.origin = "admin";
    auto result = campaign::record_decisions(tx, c.id, static_cast<int>(alice_id), {{proposal, "approved"}}, context);
    EXPECT_EQ(result.changed, 1);
    tx.commit();
  }

  auto second = campaign::import_agents(db.connection(), parse("address,display_name,team,language\n"
                                                               "alice@example.org,Alice Martin,sales,fr\n"
                                                               "bob@example.org,Bob Durand,sales,en\n"));
  EXPECT_TRUE(second.added.empty());
  EXPECT_EQ(second.updated, (Strings{"bob@example.org"}));
  EXPECT_EQ(second.unchanged, (Strings{"alice@example.org"}));
  EXPECT_EQ(second.missing, (Strings{"carol@example.org"}));
  EXPECT_TRUE(second.new_teams.empty());
  EXPECT_EQ(second.mailboxes_updated, 1);  // bob's team; alice's row was already right

  EXPECT_EQ(db.scalar("SELECT count(*) FROM agent"), 3);  // carol kept
  EXPECT_EQ(db.scalar("SELECT id FROM agent WHERE address = 'alice@example.org'"), alice_id);
  EXPECT_EQ(db.text("SELECT decision FROM proposal WHERE id = " + std::to_string(proposal)), "approved");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM decision_audit"), 1);
  EXPECT_EQ(db.text("SELECT t.name FROM mailbox m JOIN team t ON t.id = m.team_id WHERE address = 'bob@example.org'"),
            "sales");

  auto listed = campaign::list_agents(db.connection(), "sales");
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].address, "alice@example.org");
  EXPECT_EQ(listed[0].mailboxes, 1);
  EXPECT_EQ(listed[2].address, "carol@example.org");
  EXPECT_EQ(listed[2].display_name, "Carol, Jr.");
  EXPECT_EQ(listed[2].mailboxes, 0);
  EXPECT_TRUE(listed[2].last_imported_at.has_value());
}

TEST(Agents, TheCrawlCannotRevertAnImportedAgent) {
  CampaignDb db;
  campaign::import_agents(db.connection(), parse("address,display_name,team,language\n"
                                                 "alice@example.org,Alice Martin,sales,en\n"));
  // The crawl syncs its own agents list (a source's mailboxes_file) into mailbox rows.
  config::SourceConfig source;
  source.name = "imap1";
  source.mailboxes = {{"alice@example.org", "A. Martin (old file)", "legacy", "fr"},
                      {"dave@example.org", "Dave", "ops", "fr"}};
  auto rows = inventory::sync_source(db.connection(), source);
  ASSERT_EQ(rows.mailboxes.size(), 2u);
  EXPECT_EQ(db.text("SELECT display_name || '|' || t.name || '|' || language FROM mailbox m JOIN team t"
                    " ON t.id = m.team_id WHERE address = 'alice@example.org'"),
            "Alice Martin|sales|en");
  // Not imported: the configuration's values stand.
  EXPECT_EQ(db.text("SELECT display_name || '|' || t.name FROM mailbox m JOIN team t ON t.id = m.team_id"
                    " WHERE address = 'dave@example.org'"),
            "Dave|ops");
  // Again (an incremental crawl rewrites them every time).
  inventory::sync_source(db.connection(), source);
  EXPECT_EQ(db.text("SELECT t.name FROM mailbox m JOIN team t ON t.id = m.team_id WHERE address = 'alice@example.org'"),
            "sales");
}

TEST(Agents, AddressesEqualIgnoringCaseAreRefusedBeforeWriting) {
  CampaignDb db;
  EXPECT_THROW(
      campaign::import_agents(db.connection(), {{"a@example.org", "A", "", "fr"}, {"A@example.org", "B", "", "fr"}}),
      std::invalid_argument);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM agent"), 0);
}

TEST(Agents, AgentsDerivedFromMailboxesFollowThemUntilImported) {
  CampaignDb db;
  int dave = db.mailbox("Dave@example.org", "ops");
  int erin = db.mailbox("erin@example.org", "ops");
  campaign::import_agents(db.connection(), parse("address,display_name,team\nerin@example.org,Erin Imported,sales\n"));
  const std::string ids = "{" + std::to_string(dave) + "," + std::to_string(erin) + "}";
  {
    pqxx::work tx(db.connection());
    EXPECT_EQ(campaign::ensure_agents(tx, ids), 1);
    tx.commit();
  }
  EXPECT_EQ(db.text("SELECT origin || '|' || display_name FROM agent WHERE address = 'dave@example.org'"),
            "inventory|Mailbox Dave@example.org");
  // The configuration renames dave: the derived agent follows; the imported one does not move.
  db.exec("UPDATE mailbox SET display_name = 'Dave Renamed' WHERE address = 'Dave@example.org'");
  {
    pqxx::work tx(db.connection());
    EXPECT_EQ(campaign::ensure_agents(tx, ids), 0);
    tx.commit();
  }
  EXPECT_EQ(db.text("SELECT display_name FROM agent WHERE address = 'dave@example.org'"), "Dave Renamed");
  EXPECT_EQ(db.text("SELECT display_name FROM agent WHERE address = 'erin@example.org'"), "Erin Imported");
  // An import takes a derived agent over.
  auto report = campaign::import_agents(db.connection(), parse("address,display_name\ndave@example.org,Dave D.\n"));
  EXPECT_EQ(report.updated, (Strings{"dave@example.org"}));
  EXPECT_EQ(db.text("SELECT origin FROM agent WHERE address = 'dave@example.org'"), "import");
}

// The transaction form writes in the caller's transaction and never commits: abandoned, nothing is
// imported; it may run twice in one transaction (its staging table does not outlive a call).
TEST(Agents, ImportInTheCallersTransactionCommitsWithItOnly) {
  CampaignDb db;
  db.mailbox("alice@example.org");
  auto file = parse("address,display_name,team\nalice@example.org,Alice,sales\n");
  {
    pqxx::work tx(db.connection());
    EXPECT_EQ(campaign::import_agents(tx, file).added, (Strings{"alice@example.org"}));
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM agent")[0].as<int>(), 1);
  }  // abandoned: rolled back
  EXPECT_EQ(db.scalar("SELECT count(*) FROM agent"), 0);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM team"), 0);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM mailbox WHERE team_id IS NOT NULL"), 0);
  {
    pqxx::work tx(db.connection());
    EXPECT_EQ(campaign::import_agents(tx, file).added.size(), 1u);
    auto again = campaign::import_agents(tx, parse("address,team\nbob@example.org,sales\n"));
    EXPECT_EQ(again.added, (Strings{"bob@example.org"}));
    EXPECT_EQ(again.missing, (Strings{"alice@example.org"}));
    tx.commit();
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM agent"), 2);
  EXPECT_EQ(db.text("SELECT t.name FROM mailbox m JOIN team t ON t.id = m.team_id"), "sales");
}

}  // namespace
}  // namespace mailprune::test
