// The planner's guarantees: protections and holds recorded with their reasons, one action per
// message, the target reached least disruptive first (or the shortfall said), archive and delete
// destinations, what-if writing nothing, and a re-plan keeping decided proposals.
#include <fmt/format.h>

#include "policy/holds.hpp"
#include "policy_test_support.hpp"

namespace mailprune::test {
namespace {

using Names = std::vector<std::string>;

AttachmentSpec big(const std::string& name, std::int64_t size = 2000000) {
  AttachmentSpec a;
  a.name = name;
  a.size = size;
  return a;
}

MessageSpec msg(const std::string& subject) {
  MessageSpec m;
  m.subject = subject;
  return m;
}

constexpr const char* kDetachBig = "[[rule]]\nname = \"big\"\naction = \"detach\"\nmin_attachment_size = \"1MB\"\n";

TEST_F(PlannerTest, EveryProtectionIsRecordedWithItsReason) {
  int box = inventory_->folder(inventory_->mailbox("alice@example.org", "sales"), "INBOX");
  auto plain = inventory_->message(box, msg("plain"));
  inventory_->attachment(plain, big("ok.pdf"));
  inventory_->attachment(plain, [] {
    auto a = big("broken.pdf");
    a.damaged = true;
    return a;
  }());
  auto flagged = msg("flagged");
  flagged.flagged = true;
  inventory_->attachment(inventory_->message(box, flagged), big("flagged.pdf"));
  for (const char* kind : {"signed", "encrypted", "calendar", "tnef"}) {
    auto m = msg(kind);
    m.protection = kind;
    inventory_->attachment(inventory_->message(box, m), big(std::string(kind) + ".bin"));
  }
  auto unparsed = msg("unparsed");
  unparsed.parse_error = "truncated";
  unparsed.size = 5000000;
  inventory_->message(box, unparsed);
  auto young = msg("young");
  young.size = 5000000;
  inventory_->message(box, young);

  auto outcome = plan("p", std::string(kDetachBig) +
                               "[[rule]]\nname = \"purge\"\naction = \"delete\"\nmin_message_size = \"4MB\"\n"
                               "min_retention_years = 1\n");
  EXPECT_EQ(names(outcome), (Names{"ok.pdf"}));
  std::map<std::string, std::string> expected = {{"broken.pdf", "damaged"},    {"flagged.pdf", "flagged"},
                                                 {"signed.bin", "signed"},     {"encrypted.bin", "encrypted"},
                                                 {"calendar.bin", "calendar"}, {"tnef.bin", "tnef"},
                                                 {"unparsed", "parse_error"},  {"young", "retention"}};
  EXPECT_EQ(outcome.skips, expected);
  std::int64_t skipped = 0;
  for (const auto& s : outcome.projection.skipped) skipped += s.count;
  EXPECT_EQ(skipped, 8);

  // Protections are the configuration's to lift, not a rule's.
  auto lifted = plan("q", std::string(kDetachBig) + "[policy]\nprotect_flagged = false\nprotect_tnef = false\n");
  EXPECT_EQ(names(lifted), (Names{"flagged.pdf", "ok.pdf", "tnef.bin"}));
}

TEST_F(PlannerTest, HoldsByMailboxFolderSenderAndDates) {
  int alice = inventory_->mailbox("alice@example.org", "sales");
  int bob = inventory_->mailbox("Bob@Example.org", "sales");
  int alice_inbox = inventory_->folder(alice, "INBOX");
  int alice_legal = inventory_->folder(alice, "Legal/Case 1");
  int bob_inbox = inventory_->folder(bob, "INBOX");
  inventory_->attachment(inventory_->message(alice_inbox, msg("a1")), big("alice-free.pdf"));
  inventory_->attachment(inventory_->message(alice_legal, msg("a2")), big("alice-legal.pdf"));
  auto court = msg("a3");
  court.from = "greffe@Cour-des-Comptes.fr";
  inventory_->attachment(inventory_->message(alice_inbox, court), big("alice-court.pdf"));
  auto dated = msg("a4");
  dated.date = "2018-03-15 10:00:00+00";
  inventory_->attachment(inventory_->message(alice_inbox, dated), big("alice-2018.pdf"));
  auto boundary = msg("a5");
  boundary.date = "2018-12-31 23:30:00+00";
  inventory_->attachment(inventory_->message(alice_inbox, boundary), big("alice-2018-last.pdf"));
  auto undated = msg("a6");
  undated.date = "";
  inventory_->attachment(inventory_->message(alice_inbox, undated), big("alice-undated.pdf"));
  inventory_->attachment(inventory_->message(bob_inbox, msg("b1")), big("bob.pdf"));

  int cli_hold = 0;
  {
    pqxx::work tx(inventory_->connection());
    config::HoldConfig hold;
    hold.mailbox = "bob@*";
    hold.reason = "litigation";
    cli_hold = policy::add_hold(tx, hold, "test");
    tx.commit();
  }
  std::string holds =
      "[[hold]]\nfolder = \"Legal/**\"\nreason = \"legal\"\n"
      "[[hold]]\nsender = \"*@cour-des-comptes.fr\"\nreason = \"audit\"\n"
      "[[hold]]\nmailbox = \"alice@example.org\"\ndate_from = 2018-01-01\ndate_to = \"2018-12-31\"\nreason = "
      "\"2018\"\n";
  auto outcome = plan("p", std::string(kDetachBig) + holds);
  EXPECT_EQ(names(outcome), (Names{"alice-free.pdf"}));
  auto id_of = [&](const std::string& reason) {
    return scalar(fmt::format("SELECT id FROM hold WHERE reason = '{}'", reason));
  };
  EXPECT_EQ(outcome.skips["bob.pdf"], fmt::format("hold:{}", cli_hold));
  EXPECT_EQ(outcome.skips["alice-legal.pdf"], fmt::format("hold:{}", id_of("legal")));
  EXPECT_EQ(outcome.skips["alice-court.pdf"], fmt::format("hold:{}", id_of("audit")));
  EXPECT_EQ(outcome.skips["alice-2018.pdf"], fmt::format("hold:{}", id_of("2018")));
  EXPECT_EQ(outcome.skips["alice-2018-last.pdf"], fmt::format("hold:{}", id_of("2018"))) << "date_to is inclusive";
  EXPECT_EQ(outcome.skips["alice-undated.pdf"], fmt::format("hold:{}", id_of("2018")))
      << "an undated message cannot be shown to be outside a dated hold";
  EXPECT_EQ(scalar("SELECT count(*) FROM hold WHERE origin = 'config'"), 3);

  // Re-planning with one configured hold less: its row goes, the others keep their ids.
  std::int64_t legal = id_of("legal");
  plan("p", std::string(kDetachBig) + "[[hold]]\nfolder = \"Legal/**\"\nreason = \"legal\"\n");
  EXPECT_EQ(scalar("SELECT count(*) FROM hold WHERE origin = 'config'"), 1);
  EXPECT_EQ(id_of("legal"), legal);
  EXPECT_EQ(scalar("SELECT count(*) FROM hold WHERE origin = 'cli'"), 1);
}

TEST_F(PlannerTest, OneActionPerMessage) {
  int box = inventory_->folder(inventory_->mailbox("alice@example.org", "sales"), "INBOX");
  auto old = msg("old");
  old.date = "2015-05-05 12:00:00+00";
  old.size = 9000000;
  auto old_id = inventory_->message(box, old);
  inventory_->attachment(old_id, big("old-a.pdf", 3000000));
  inventory_->attachment(old_id, big("old-b.zip", 4000000));
  auto recent = inventory_->message(box, msg("recent"));
  inventory_->attachment(recent, big("recent-a.pdf", 3000000));
  inventory_->attachment(recent, big("recent-b.zip", 4000000));

  const std::string detach_pdf = "[[rule]]\nname = \"pdf\"\naction = \"detach\"\nfile_names = [\"*.pdf\"]\n";
  const std::string detach_big = "[[rule]]\nname = \"big\"\naction = \"detach\"\nmin_attachment_size = \"2MB\"\n";
  const std::string delete_old = "[[rule]]\nname = \"old\"\naction = \"delete\"\nolder_than = \"5y\"\n";

  // Same priority: the delete takes the old message whole; its attachments are not detached.
  // Two detach rules share the recent message: each attachment once, the first rule listed wins.
  auto outcome = plan("equal", detach_pdf + detach_big + delete_old);
  EXPECT_EQ(names(outcome), (Names{"old", "recent-a.pdf", "recent-b.zip"}));
  EXPECT_EQ(outcome.proposals["old"].action, "delete");
  EXPECT_EQ(outcome.proposals["old"].bytes, 9000000);
  EXPECT_EQ(outcome.proposals["recent-a.pdf"].rule, "pdf");
  EXPECT_EQ(outcome.proposals["recent-b.zip"].rule, "big");
  EXPECT_EQ(outcome.proposals["recent-b.zip"].bytes, 4000000);

  // A detach rule of higher priority keeps the message and takes its attachments instead.
  auto detach_first = plan("detach-first", detach_pdf + detach_big + "priority = 5\n" + delete_old);
  EXPECT_EQ(names(detach_first), (Names{"old-a.pdf", "old-b.zip", "recent-a.pdf", "recent-b.zip"}));
  EXPECT_EQ(detach_first.proposals["old-a.pdf"].rule, "big") << "the higher priority wins the attachment";
  EXPECT_EQ(detach_first.proposals["recent-a.pdf"].rule, "big");
  EXPECT_EQ(scalar("SELECT count(DISTINCT message_row_id) FILTER (WHERE action <> 'detach') FROM proposal"), 1);
}

// The single pass over the attachments decides, per attachment, the rule that takes it (highest
// priority among the unprotected matches, ties to the rule listed first) and the skip (the
// highest-priority rule a protection stopped), even when one rule is protected and another not.
TEST_F(PlannerTest, OnePassTakesTheBestUnprotectedRuleAndRecordsTheSkip) {
  int box = inventory_->folder(inventory_->mailbox("alice@example.org", "sales"), "INBOX");
  auto old = msg("old");
  old.date = "now-3 years";
  auto flagged = old;
  flagged.subject = "flagged";
  flagged.flagged = true;
  inventory_->attachment(inventory_->message(box, msg("young")), big("a.pdf"));
  inventory_->attachment(inventory_->message(box, old), big("b.pdf"));
  inventory_->attachment(inventory_->message(box, msg("young-zip")), big("c.zip"));
  inventory_->attachment(inventory_->message(box, flagged), big("d.pdf"));
  inventory_->attachment(inventory_->message(box, msg("small")), big("e.zip", 1000));
  const std::string rules =
      "[[rule]]\nname = \"keep\"\naction = \"detach\"\npriority = 10\nmin_attachment_size = \"1MB\"\n"
      "min_retention_years = 1\n"
      "[[rule]]\nname = \"first\"\naction = \"detach\"\npriority = 5\nfile_names = [\"*.pdf\"]\n"
      "[[rule]]\nname = \"second\"\naction = \"detach\"\npriority = 5\nmin_attachment_size = \"1MB\"\n";

  auto outcome = plan("one-pass", rules);
  EXPECT_EQ(names(outcome), (Names{"a.pdf", "b.pdf", "c.zip"}));
  EXPECT_EQ(outcome.proposals["a.pdf"].rule, "first") << "keep is protected (retention); a tie goes to the first";
  EXPECT_EQ(outcome.proposals["b.pdf"].rule, "keep") << "old enough: the highest priority";
  EXPECT_EQ(outcome.proposals["c.zip"].rule, "second");
  EXPECT_EQ(outcome.skips,
            (std::map<std::string, std::string>{{"a.pdf", "retention"}, {"c.zip", "retention"}, {"d.pdf", "flagged"}}));
  EXPECT_EQ(scalar("SELECT count(*) FROM plan_skip WHERE rule_name = 'keep'"), 3) << "under the highest priority";
  EXPECT_EQ(outcome.stats.matched, 3 + 3 + 2 + 3) << "every rule match, protected ones included";
  EXPECT_EQ(outcome.stats.skipped, 3);
  ASSERT_EQ(outcome.projection.by_rule.size(), 3u);
  EXPECT_EQ(outcome.projection.by_rule[0].name, "keep");
}

TEST_F(PlannerTest, TargetLeastDisruptiveFirstAndShortfall) {
  int box = inventory_->folder(inventory_->mailbox("alice@example.org", "sales"), "INBOX");
  int other = inventory_->folder(inventory_->mailbox("bob@example.org", "support"), "INBOX");
  inventory_->attachment(inventory_->message(box, msg("m1")), big("p-10.pdf", 10000000));
  inventory_->attachment(inventory_->message(box, msg("m2")), big("p-6.pdf", 6000000));
  inventory_->attachment(inventory_->message(other, msg("m3")), big("p-3.pdf", 3000000));
  inventory_->attachment(inventory_->message(box, msg("m4")), big("z-20.zip", 20000000));
  const std::string rules =
      "[[rule]]\nname = \"pdf\"\naction = \"detach\"\nfile_names = [\"*.pdf\"]\npriority = 10\napproval = \"auto\"\n"
      "[[rule]]\nname = \"zip\"\naction = \"detach\"\nfile_names = [\"*.zip\"]\n";

  // 12 MB: the priority-10 PDFs come first, largest first: 10 MB, then 6 MB reaches it.
  auto outcome = plan("t", rules, 12000000);
  // Only the selected proposals are written; the others are counted by mailbox and rule.
  EXPECT_EQ(names(outcome), (Names{"p-10.pdf", "p-6.pdf"})) << "p-3.pdf, and z-20.zip (lower priority, although"
                                                               " larger), are not selected";
  EXPECT_TRUE(outcome.proposals["p-10.pdf"].selected);
  EXPECT_TRUE(outcome.proposals["p-6.pdf"].selected);
  EXPECT_EQ(outcome.proposals["p-10.pdf"].decision, "approved") << "auto rules approve what they select";
  EXPECT_EQ(outcome.stats.proposals, 2);
  EXPECT_EQ(outcome.stats.unselected, 2);
  EXPECT_EQ(scalar("SELECT count(*) * 1000 + sum(proposals) FROM plan_unselected"), 2002) << "one row per mailbox";
  EXPECT_TRUE(outcome.projection.reached);
  EXPECT_EQ(outcome.projection.total.planned_bytes, 16000000);
  EXPECT_EQ(outcome.projection.total.bytes, 39000000) << "the unselected ones count in the totals";
  EXPECT_EQ(outcome.projection.total.count, 4);
  EXPECT_EQ(outcome.projection.total.planned_count, 2);
  EXPECT_EQ(outcome.projection.approved, 2);
  EXPECT_EQ(outcome.projection.pending, 2) << "unselected proposals are pending";
  ASSERT_EQ(outcome.projection.by_team.size(), 2u);
  EXPECT_EQ(outcome.projection.by_team[0].name, "sales");
  EXPECT_EQ(outcome.projection.by_team[0].totals.planned_bytes, 16000000);
  EXPECT_EQ(outcome.projection.by_team[0].totals.bytes, 36000000);
  EXPECT_EQ(outcome.projection.by_team[1].name, "support");
  EXPECT_EQ(outcome.projection.by_team[1].totals.count, 1);
  EXPECT_EQ(outcome.projection.by_team[1].totals.bytes, 3000000);
  EXPECT_EQ(outcome.projection.by_team[1].totals.planned_count, 0);
  ASSERT_EQ(outcome.projection.by_rule.size(), 2u);
  EXPECT_EQ(outcome.projection.by_rule[0].name, "pdf");
  EXPECT_EQ(outcome.projection.by_rule[0].totals.bytes, 19000000);
  EXPECT_EQ(outcome.projection.by_rule[0].totals.count, 3);
  EXPECT_EQ(outcome.projection.by_rule[1].name, "zip");
  EXPECT_EQ(outcome.projection.by_rule[1].priority, 0);
  EXPECT_EQ(outcome.projection.by_rule[1].totals.count, 1);
  EXPECT_EQ(outcome.projection.by_rule[1].totals.planned_count, 0);
  ASSERT_EQ(outcome.projection.by_mailbox.size(), 2u);
  EXPECT_EQ(outcome.projection.by_mailbox[0].name, "alice@example.org");
  EXPECT_EQ(outcome.projection.by_mailbox[0].totals.count, 3);

  // A larger target takes more: the same campaign re-planned selects p-3.pdf too (written now).
  auto more = plan("t", rules, 18000000);
  EXPECT_EQ(names(more), (Names{"p-10.pdf", "p-3.pdf", "p-6.pdf"}));
  EXPECT_EQ(more.stats.unselected, 1);
  EXPECT_EQ(more.projection.total.count, 4);
  EXPECT_EQ(scalar("SELECT sum(proposals) FROM plan_unselected"), 1) << "rewritten at every plan";

  // 50 MB cannot be reached: everything is selected and the shortfall is said.
  auto short_plan = plan("s", rules, 50000000);
  for (const auto& [name, p] : short_plan.proposals) EXPECT_TRUE(p.selected) << name;
  EXPECT_FALSE(short_plan.projection.reached);
  EXPECT_EQ(short_plan.projection.shortfall_bytes, 11000000);
  std::string table = policy::render_projection(short_plan.projection, nullptr, policy::ProjectionFormat::table);
  EXPECT_NE(table.find("NOT reached, short by 11.0 MB"), std::string::npos) << table;
}

// The selection decides whole priority levels from their totals and orders only the level that
// crosses the target: the same result as one running sum over every proposal.
TEST_F(PlannerTest, TargetTakesWholeLevelsThenPartOfTheCrossingOne) {
  int box = inventory_->folder(inventory_->mailbox("alice@example.org", "sales"), "INBOX");
  for (auto [name, size] : std::vector<std::pair<std::string, std::int64_t>>{{"p-5.pdf", 5000000},
                                                                             {"p-4.pdf", 4000000},
                                                                             {"z-3.zip", 3000000},
                                                                             {"z-2.zip", 2000000},
                                                                             {"z-1.zip", 1000000},
                                                                             {"x-9.doc", 9000000}}) {
    inventory_->attachment(inventory_->message(box, msg("m-" + name)), big(name, size));
  }
  const std::string rules =
      "[[rule]]\nname = \"pdf\"\naction = \"detach\"\nfile_names = [\"*.pdf\"]\npriority = 10\n"
      "[[rule]]\nname = \"zip\"\naction = \"detach\"\nfile_names = [\"*.zip\"]\npriority = 5\n"
      "[[rule]]\nname = \"doc\"\naction = \"detach\"\nfile_names = [\"*.doc\"]\n";

  // 11 MB: the PDFs (9 MB) wholly, then the largest zip (3 MB) crosses it; the rest is not selected.
  auto outcome = plan("levels", rules, 11000000);
  EXPECT_EQ(names(outcome), (Names{"p-4.pdf", "p-5.pdf", "z-3.zip"}));
  EXPECT_EQ(outcome.stats.unselected, 3);
  EXPECT_EQ(outcome.projection.total.planned_bytes, 12000000);
  EXPECT_EQ(outcome.projection.total.bytes, 24000000);
  ASSERT_EQ(outcome.projection.by_rule.size(), 3u);
  EXPECT_EQ(outcome.projection.by_rule[1].name, "zip");
  EXPECT_EQ(outcome.projection.by_rule[1].totals.count, 3);
  EXPECT_EQ(outcome.projection.by_rule[1].totals.planned_count, 1);
  EXPECT_EQ(outcome.projection.by_rule[2].totals.planned_count, 0) << "below the crossing level: none";

  // Exactly the PDFs' 9 MB: that level suffices, nothing below is taken.
  auto exact = plan("exact", rules, 9000000);
  EXPECT_EQ(names(exact), (Names{"p-4.pdf", "p-5.pdf"}));
  // 15 MB: PDFs and zips (15 MB) wholly; the doc level is not needed.
  auto two = plan("two", rules, 15000000);
  EXPECT_EQ(names(two), (Names{"p-4.pdf", "p-5.pdf", "z-1.zip", "z-2.zip", "z-3.zip"}));
  // 16 MB: the doc level crosses it.
  auto three = plan("three", rules, 16000000);
  EXPECT_EQ(three.proposals.size(), 6u);
  EXPECT_TRUE(three.projection.reached);
}

TEST_F(PlannerTest, ArchiveAndDeleteDestinations) {
  int alice = inventory_->mailbox("alice@example.org", "sales");
  int inbox = inventory_->folder(alice, "INBOX");
  int archived = inventory_->folder(alice, "Archives/2019");
  int quarantine = inventory_->folder(alice, "mailprune/Quarantine");
  auto old = msg("old-2019");
  old.date = "2019-07-01 12:00:00+00";
  inventory_->message(inbox, old);
  auto filed = msg("already-filed");
  filed.date = "2019-07-01 12:00:00+00";
  inventory_->message(archived, filed);
  auto quarantined = msg("quarantined");
  quarantined.date = "2019-07-01 12:00:00+00";
  inventory_->message(quarantine, quarantined);

  auto archive = plan("a", "[[rule]]\nname = \"file\"\naction = \"archive\"\nolder_than = \"2y\"\n");
  EXPECT_EQ(names(archive), (Names{"old-2019"})) << "no move within the archive tree, nothing from the quarantine";
  EXPECT_EQ(archive.proposals["old-2019"].destination, "Archives/2019");
  EXPECT_EQ(archive.proposals["old-2019"].bytes, 0) << "a folder of the same mailbox frees nothing";
  EXPECT_TRUE(archive.proposals["old-2019"].selected);

  auto monthly = plan("m",
                      "[policy]\narchive_frees_space = true\n[[rule]]\nname = \"file\"\naction = \"archive\"\n"
                      "older_than = \"2y\"\narchive_folder = \"Old/{year}-{month}\"\n");
  EXPECT_EQ(names(monthly), (Names{"already-filed", "old-2019"}));
  EXPECT_EQ(monthly.proposals["old-2019"].destination, "Old/2019-07");
  EXPECT_EQ(monthly.proposals["old-2019"].bytes, 1000);

  auto purge = plan("d", "[[rule]]\nname = \"purge\"\naction = \"delete\"\nolder_than = \"2y\"\n");
  EXPECT_EQ(names(purge), (Names{"already-filed", "old-2019"}));
  EXPECT_EQ(purge.proposals["old-2019"].destination, "mailprune/Quarantine");
}

TEST_F(PlannerTest, WhatIfInARolledBackTransactionWritesNothing) {
  int box = inventory_->folder(inventory_->mailbox("alice@example.org", "sales"), "INBOX");
  inventory_->attachment(inventory_->message(box, msg("m")), big("x.pdf"));
  auto config = config_of(std::string(kDetachBig) + "[[hold]]\nsender = \"boss@*\"\nreason = \"r\"\n");
  auto counts = [&] {
    return scalar(
        "SELECT (SELECT count(*) FROM campaign) * 1000000 + (SELECT count(*) FROM proposal) * 1000 +"
        " (SELECT count(*) FROM hold) * 10 + (SELECT count(*) FROM plan_skip)");
  };
  std::int64_t before = counts();
  pqxx::connection c(url_);
  {
    pqxx::work tx(c);
    auto campaign = policy::create_campaign(tx, "w", config.policy.rules, {}, 1000, 30);
    auto stats = policy::plan_campaign(tx, campaign, config.policy);
    EXPECT_EQ(stats.proposals, 1);
    EXPECT_EQ(policy::query_projection(tx, campaign).total.bytes, 2000000);
    tx.abort();
  }
  EXPECT_EQ(counts(), before);
  // The same connection plans again (temporary tables went with the transaction).
  pqxx::work tx(c);
  auto campaign = policy::create_campaign(tx, "w", config.policy.rules, {}, std::nullopt, 30);
  EXPECT_EQ(policy::plan_campaign(tx, campaign, config.policy).proposals, 1);
}

TEST_F(PlannerTest, ReplanKeepsDecidedProposals) {
  int box = inventory_->folder(inventory_->mailbox("alice@example.org", "sales"), "INBOX");
  auto m1 = inventory_->message(box, msg("m1"));
  inventory_->attachment(m1, big("approved.pdf", 5000000));
  inventory_->attachment(inventory_->message(box, msg("m2")), big("refused.pdf", 4000000));
  inventory_->attachment(inventory_->message(box, msg("m3")), big("pending.pdf", 3000000));
  auto first = plan("r", kDetachBig);
  ASSERT_EQ(first.proposals.size(), 3u);
  exec(fmt::format("UPDATE proposal SET decision = 'approved', decided_at = now() WHERE id = {}",
                   first.proposals["approved.pdf"].id));
  exec(fmt::format("UPDATE proposal SET decision = 'refused', decided_at = now() WHERE id = {}",
                   first.proposals["refused.pdf"].id));
  inventory_->attachment(inventory_->message(box, msg("m4")), big("new.pdf", 2000000));

  // Target 6 MB: the approved 5 MB count towards it; the largest pending one (3 MB) completes it.
  auto second = plan("r", kDetachBig, 6000000);
  ASSERT_EQ(second.proposals.size(), 3u) << "new.pdf is not selected: not written";
  EXPECT_EQ(second.proposals["approved.pdf"].id, first.proposals["approved.pdf"].id);
  EXPECT_EQ(second.proposals["approved.pdf"].decision, "approved");
  EXPECT_EQ(second.proposals["refused.pdf"].id, first.proposals["refused.pdf"].id) << "not proposed again";
  EXPECT_EQ(second.proposals["refused.pdf"].decision, "refused");
  EXPECT_EQ(second.proposals["pending.pdf"].id, first.proposals["pending.pdf"].id) << "the same: left as it was";
  EXPECT_TRUE(second.proposals["pending.pdf"].selected);
  EXPECT_EQ(second.stats.unchanged, 1);
  EXPECT_EQ(second.stats.proposals, 0) << "nothing new selected: nothing written";
  EXPECT_EQ(second.stats.unselected, 1) << "new.pdf";
  EXPECT_EQ(second.proposals.count("new.pdf"), 0u);
  EXPECT_EQ(second.stats.kept, 2);
  EXPECT_TRUE(second.projection.reached);
  EXPECT_EQ(second.projection.total.planned_bytes, 8000000) << "refused proposals plan nothing";
  EXPECT_EQ(second.projection.total.count, 4);
  EXPECT_EQ(second.projection.total.bytes, 14000000);
  EXPECT_EQ(second.projection.approved, 1);
  EXPECT_EQ(second.projection.refused, 1);
  EXPECT_EQ(second.projection.pending, 2);

  // The approved bytes alone reach a 1 MB target: the pending proposal is no longer selected, so it
  // is deleted (counted with the unselected); the decided ones still do not move.
  auto third = plan("r", kDetachBig, 1000000);
  EXPECT_EQ(names(third), (Names{"approved.pdf", "refused.pdf"}));
  EXPECT_EQ(third.stats.unselected, 2);
  EXPECT_EQ(third.proposals["approved.pdf"].id, first.proposals["approved.pdf"].id);
  EXPECT_EQ(third.projection.total.planned_bytes, 5000000);
  EXPECT_EQ(third.projection.total.count, 4);
  EXPECT_EQ(third.projection.pending, 2);

  // Without a target everything is selected again, and nothing is left unselected.
  exec("UPDATE campaign SET target_bytes = NULL");
  auto fourth = plan("r", kDetachBig);
  EXPECT_EQ(names(fourth), (Names{"approved.pdf", "new.pdf", "pending.pdf", "refused.pdf"}));
  EXPECT_EQ(fourth.stats.unselected, 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM plan_unselected"), 0);

  // Deleting the campaign deletes its proposals and skips (schema 005's triggers).
  exec(
      "INSERT INTO plan_skip (campaign_id, rule_name, mailbox_id, message_row_id, reason)"
      " SELECT id, 'big', (SELECT min(id) FROM mailbox), 1, 'flagged' FROM campaign");
  exec(
      "INSERT INTO plan_unselected (campaign_id, mailbox_id, rule_name, rule_priority, action, proposals, bytes)"
      " SELECT id, (SELECT min(id) FROM mailbox), 'big', 0, 'detach', 1, 1 FROM campaign");
  exec("DELETE FROM campaign WHERE name = 'r'");
  EXPECT_EQ(scalar("SELECT count(*) FROM proposal"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM plan_unselected"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM plan_skip"), 0);
}

}  // namespace
}  // namespace mailprune::test
