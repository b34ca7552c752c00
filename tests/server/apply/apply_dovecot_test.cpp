// End to end against a real Dovecot (and Cyrus): the `mailprune` binary crawls generated mailboxes, plans with
// rules from the configuration, applies (killed with SIGKILL right after journal steps by the
// MAILPRUNE_FAULT_AFTER_STEP hook, then rerun), undoes and purges; tests/tools/mailbox_check.py, an
// independent reader (imaplib + email), checks the mailboxes before and after: exactly the planned
// attachments gone and byte-identical in the archive store, every other part, flag and INTERNALDATE
// unchanged, nothing duplicated, protected messages untouched, undo restoring the decoded content.
#include <gtest/gtest.h>

#include <set>

#include "apply_scene.hpp"
#include "harness/cyrus_server.hpp"
#include "harness/dovecot_server.hpp"
#include "harness/imap_test_client.hpp"

namespace mailprune::test {
namespace {

using nlohmann::json;

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

std::string policy(const std::string& detach_min, const std::string& held_mailbox) {
  return "[policy]\nquarantine_folder = \"mailprune/Quarantine\"\n\n"
         "[[rule]]\nname = \"large\"\naction = \"detach\"\napproval = \"auto\"\nmin_attachment_size = \"" +
         detach_min +
         "\"\n\n"
         "[[rule]]\nname = \"newsletters\"\naction = \"archive\"\napproval = \"auto\"\nfolders = [\"Newsletters\"]\n"
         "archive_folder = \"Old/{year}\"\n\n"
         "[[rule]]\nname = \"archives\"\naction = \"delete\"\napproval = \"auto\"\nfolders = [\"Archives\"]\n\n"
         "[[hold]]\nmailbox = \"" +
         held_mailbox + "\"\nfolder = \"Archives/Réunions\"\nreason = \"legal hold (test)\"\n";
}

// Every (mailbox, folder, message_id) that `expect` detaches from or moves, as "restored" entries.
json restored_from(const json& expect) {
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  json out = {{"restored", json::array()}};
  for (const char* list : {"detached", "moved"}) {
    for (const auto& e : expect[list]) {
      auto key = std::make_tuple(e["mailbox"].get<std::string>(), e["folder"].get<std::string>(),
                                 e["message_id"].get<std::string>());
      if (!seen.insert(key).second) continue;
      out["restored"].push_back(
          {{"mailbox", std::get<0>(key)}, {"folder", std::get<1>(key)}, {"message_id", std::get<2>(key)}});
    }
  }
  return out;
}

TEST(ApplyDovecot, KilledAfterEveryStepLosesNothingDoesNothingTwiceAndUndoRestores) {
  TempDir mail("apply-mail");
  auto set = generate_sample_mail(mail / "set", {.users = 3, .messages = 36, .seed = 11, .size_scale = 0.05});
  DovecotServer imap;
  imap.load(set);
  ApplyScene scene(dovecot_source(imap, set.users), policy("2kB", set.users[0]), dovecot_check(imap));
  scene.archive_folder = "Old/{year}";

  auto crawl = scene.run({"crawl"});
  ASSERT_EQ(crawl.exit_code, 0) << crawl.output;
  auto plan = scene.run({"plan", "--campaign", "c"});
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  const json expect = scene.expected("c");
  ASSERT_GE(expect["detached"].size(), 8u) << "too few attachments to detach for the kill points";
  ASSERT_GE(expect["moved"].size(), 2u);
  // Each killed run may finish a few actions (two connections): enough must be left for the last
  // kill point ("done:4") to be reached.
  ASSERT_GE(scene.cli().scalar("SELECT count(DISTINCT message_row_id) FROM proposal WHERE decision = 'approved'"), 36);
  // The hold kept its folder out of the plan.
  EXPECT_GT(scene.cli().scalar("SELECT count(*) FROM plan_skip WHERE reason LIKE 'hold%'"), 0);
  EXPECT_EQ(scene.cli().scalar("SELECT count(*) FROM proposal p JOIN mailbox m ON m.id = p.mailbox_id "
                               "WHERE p.folder_name = 'Archives/Réunions' AND m.address = '" +
                               set.users[0] + "'"),
            0);

  const std::string before = scene.snapshot("before");
  // Killed right after each step (the n-th time this process recorded it), then rerun.
  for (const std::string fault : {"approved", "stored", "uploaded", "verified", "original_removed", "done", "stored:3",
                                  "uploaded:2", "verified:3", "original_removed:2", "done:4"}) {
    auto killed = scene.run({"apply", "--campaign", "c"}, {"MAILPRUNE_FAULT_AFTER_STEP=" + fault});
    EXPECT_EQ(killed.exit_code, 137) << fault << ": " << killed.output;
    EXPECT_TRUE(contains(killed.output, "fault hook: killing myself after step")) << killed.output;
  }
  auto applied = scene.run({"apply", "--campaign", "c"});
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_TRUE(contains(applied.output, "0 failed")) << applied.output;

  // The journal: everything finished, each step recorded once per action, in order.
  auto& cli = scene.cli();
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM action WHERE step NOT IN ('done', 'skipped')"), 0);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM action WHERE step = 'skipped' AND reason <> 'superseded'"), 0);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM (SELECT action_id, step FROM action_step GROUP BY 1, 2 "
                       "HAVING count(*) > 1) d"),
            0);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM action a WHERE kind = 'detach' AND step = 'done' AND "
                       "(SELECT string_agg(step, ',' ORDER BY id) FROM action_step s WHERE s.action_id = a.id) <> "
                       "'planned,approved,stored,uploaded,verified,original_removed,done'"),
            0);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM apply_run WHERE status = 'interrupted'"), 11);
  // Dovecot's quota measured every mailbox worked on, before and after (the last runs' mailboxes).
  EXPECT_GT(cli.scalar("SELECT count(*) FROM apply_measure"), 0);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM apply_measure m JOIN apply_run r ON r.id = m.apply_run_id "
                       "WHERE r.status = 'done' AND (bytes_before IS NULL OR bytes_after IS NULL)"),
            0);
  EXPECT_TRUE(contains(applied.output, "measured (")) << applied.output;

  const std::string after = scene.snapshot("after");
  json report = scene.compare(before, after, expect);
  EXPECT_TRUE(report["ok"].get<bool>()) << report.dump(1);
  EXPECT_EQ(report["counts"]["detached_parts"], expect["detached"].size());
  EXPECT_EQ(report["counts"]["archived_checked"], expect["detached"].size());
  EXPECT_EQ(report["counts"]["moved"], expect["moved"].size());
  EXPECT_GT(report["counts"]["protected"].get<int>(), 0);
  EXPECT_GT(report["counts"]["untouched"].get<int>(), 0);

  // Undo, killed once in the middle of a reattach, then again: the decoded content of every part
  // is back, in the original folders, flags and INTERNALDATE as they were.
  auto killed = scene.run({"undo", "--campaign", "c"}, {"MAILPRUNE_FAULT_AFTER_STEP=undo:uploaded:2"});
  EXPECT_EQ(killed.exit_code, 137) << killed.output;
  auto undone = scene.run({"undo", "--campaign", "c"});
  ASSERT_EQ(undone.exit_code, 0) << undone.output;
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM action WHERE step = 'done'"), 0);
  const std::string restored = scene.snapshot("undone");
  json undo_report = scene.compare(before, restored, restored_from(expect), false);
  EXPECT_TRUE(undo_report["ok"].get<bool>()) << undo_report.dump(1);
  EXPECT_EQ(undo_report["counts"]["restored"].get<std::size_t>(), restored_from(expect)["restored"].size());
}

TEST(ApplyDovecot, ChangedMessagesProtectionsDryRunLimitAndPurge) {
  TempDir mail("apply-mail");
  auto set = generate_sample_mail(mail / "set", {.users = 3, .messages = 24, .seed = 5, .size_scale = 0.05});
  DovecotServer imap;
  imap.load(set);
  // Every attachment of 100 bytes or more: signed, calendar and flagged messages match the rule and
  // must be kept out by the protections.
  ApplyScene scene(dovecot_source(imap, set.users), policy("100B", set.users[1]), dovecot_check(imap));
  scene.archive_folder = "Old/{year}";
  auto& cli = scene.cli();

  ASSERT_EQ(scene.run({"crawl"}).exit_code, 0);
  auto plan = scene.run({"plan", "--campaign", "c"});
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  const std::string campaign = std::to_string(cli.scalar("SELECT id FROM campaign WHERE name = 'c'"));
  for (const std::string reason : {"flagged", "signed", "calendar"}) {
    EXPECT_GT(cli.scalar("SELECT count(*) FROM plan_skip WHERE reason = '" + reason + "'"), 0) << reason;
  }

  // Dry run: a list, and nothing written.
  const std::vector<std::string> operator_env = {"SUDO_USER=ops-maria"};
  auto dry = scene.run({"apply", "--campaign", "c", "--dry-run"}, operator_env);
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_TRUE(contains(dry.output, "dry run")) << dry.output;
  EXPECT_TRUE(contains(dry.output, "detach")) << dry.output;
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM action"), 0);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM apply_run"), 0);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM audit_log"), 0);
  // Runs the engine refuses (an unknown mailbox, an unknown action) change nothing: no audit row.
  auto unknown_mailbox = scene.run({"apply", "--campaign", "c", "--mailbox", "nobody@example.org"}, operator_env);
  EXPECT_EQ(unknown_mailbox.exit_code, 2) << unknown_mailbox.output;
  auto unknown_action = scene.run({"undo", "--action", "999999"}, operator_env);
  EXPECT_EQ(unknown_action.exit_code, 2) << unknown_action.output;
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM audit_log"), 0);

  // A person changes a message after the crawl (another client sets a keyword).
  auto target = cli.strings(
      "SELECT m.address || ' ' || p.uid || ' ' || p.internet_message_id FROM proposal p "
      "JOIN mailbox m ON m.id = p.mailbox_id WHERE p.action = 'detach' AND p.folder_name = 'INBOX' "
      "AND p.decision = 'approved' ORDER BY p.id LIMIT 1");
  ASSERT_EQ(target.size(), 1u);
  const std::string address = target[0].substr(0, target[0].find(' '));
  const std::string rest = target[0].substr(target[0].find(' ') + 1);
  const std::string uid = rest.substr(0, rest.find(' '));
  const std::string changed_id = rest.substr(rest.find(' ') + 1);
  {
    auto client = ImapTestClient::connect_plain(imap.imap_port());
    client.login(imap.master_login(address), imap.master_password());
    ASSERT_TRUE(client.command("SELECT INBOX").ok());
    // A keyword no generated message has: the flags, and so the MODSEQ, really change.
    ASSERT_TRUE(client.command("UID STORE " + uid + " +FLAGS (ChangedByAnotherClient)").ok());
  }

  const std::string before = scene.snapshot("before");
  auto first = scene.run({"apply", "--campaign", "c", "--limit", "5"}, operator_env);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM action WHERE step IN ('done', 'skipped', 'failed') "
                       "AND reason IS DISTINCT FROM 'superseded'"),
            5);
  auto rest_run = scene.run({"apply", "--campaign", "c"}, operator_env);
  ASSERT_EQ(rest_run.exit_code, 0) << rest_run.output;
  // Skipped in whichever of the two runs took it up.
  EXPECT_TRUE(contains(first.output + rest_run.output, "skipped (changed 1)")) << first.output << rest_run.output;
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM action WHERE step = 'skipped' AND reason LIKE 'changed%' "
                       "AND internet_message_id = '" +
                       changed_id + "'"),
            1);

  const std::string after = scene.snapshot("after");
  json report = scene.compare(before, after, scene.expected("c", {changed_id}));
  EXPECT_TRUE(report["ok"].get<bool>()) << report.dump(1);
  EXPECT_GT(report["counts"]["protected"].get<int>(), 0);
  EXPECT_GT(report["counts"]["detached_parts"].get<int>(), 20);

  // Purge: nothing before the grace period is over; then the quarantine is emptied, and only it.
  auto early = scene.run({"purge", "--campaign", "c"}, operator_env);
  ASSERT_EQ(early.exit_code, 0) << early.output;
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM action WHERE step = 'purged'"), 0);
  const std::int64_t quarantined = cli.scalar("SELECT count(*) FROM action WHERE kind = 'delete' AND step = 'done'");
  ASSERT_GT(quarantined, 0);
  {
    pqxx::connection connection(cli.url());
    pqxx::work tx(connection);
    tx.exec("UPDATE action SET purge_after = now() - interval '1 second' WHERE kind = 'delete'");
    tx.commit();
  }
  auto purge = scene.run({"purge"}, operator_env);
  ASSERT_EQ(purge.exit_code, 0) << purge.output;
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM action WHERE step = 'purged'"), quarantined);
  const std::string purged = scene.snapshot("purged");
  json purge_report = scene.compare(after, purged, scene.expected_purge(), false);
  EXPECT_TRUE(purge_report["ok"].get<bool>()) << purge_report.dump(1);
  EXPECT_EQ(purge_report["counts"]["removed"].get<std::int64_t>(), quarantined);

  // One detach taken back by its id.
  const std::int64_t detached =
      cli.scalar("SELECT min(id) FROM action WHERE kind = 'detach' AND step = 'done' AND campaign_id = " + campaign);
  auto undone = scene.run({"undo", "--action", std::to_string(detached)}, operator_env);
  ASSERT_EQ(undone.exit_code, 0) << undone.output;

  // Each run is audited when it starts, with its options (campaign.apply and campaign.undo as the
  // API's jobs; campaign.purge), by the operator; the dry run is not.
  const std::string object = " campaign:" + campaign + " ";
  EXPECT_EQ(
      cli.strings("SELECT actor_kind || ' ' || actor || ' ' || action || ' ' || object_type || ':' ||"
                  " object_id || ' ' || details::text || ' ' || ip FROM audit_log ORDER BY id"),
      (std::vector<std::string>{
          "cli ops-maria campaign.apply" + object +
              R"({"limit": 5, "dry_run": false, "mailboxes": [], "retry_failed": false} )",
          "cli ops-maria campaign.apply" + object + R"({"dry_run": false, "mailboxes": [], "retry_failed": false} )",
          "cli ops-maria campaign.purge" + object + "{} ", "cli ops-maria campaign.purge" + object + "{} ",
          "cli ops-maria campaign.undo" + object + R"({"action": )" + std::to_string(detached) + "} "}));
}

// The same on Cyrus (its own CATENATE, UIDPLUS, CONDSTORE and quota), killed after two of the
// steps that leave two copies or none of a message on the server, then undone.
TEST(ApplyCyrus, KilledMidDetachResumesAndUndoRestores) {
  TempDir mail("apply-mail");
  auto set = generate_sample_mail(mail / "set", {.users = 2, .messages = 20, .seed = 13, .size_scale = 0.05});
  CyrusServer server;
  server.load(set);
  CheckLogin check;
  check.port = server.imap_port();
  check.password = server.admin_password();
  check.authzid_admin = server.admin_user();
  ApplyScene scene(cyrus_source(server, set.users), policy("3kB", set.users[0]), check);
  scene.archive_folder = "Old/{year}";

  ASSERT_EQ(scene.run({"crawl"}).exit_code, 0);
  auto plan = scene.run({"plan", "--campaign", "c"});
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  const json expect = scene.expected("c");
  ASSERT_GE(expect["detached"].size(), 4u);

  const std::string before = scene.snapshot("before");
  for (const std::string fault : {"uploaded:2", "original_removed:3", "verified"}) {
    auto killed = scene.run({"apply", "--campaign", "c"}, {"MAILPRUNE_FAULT_AFTER_STEP=" + fault});
    EXPECT_EQ(killed.exit_code, 137) << fault << ": " << killed.output;
  }
  auto applied = scene.run({"apply", "--campaign", "c"});
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  auto& cli = scene.cli();
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM action WHERE step NOT IN ('done', 'skipped')"), 0);
  const std::string after = scene.snapshot("after");
  json report = scene.compare(before, after, expect);
  EXPECT_TRUE(report["ok"].get<bool>()) << report.dump(1);
  EXPECT_EQ(report["counts"]["archived_checked"], expect["detached"].size());

  auto undone = scene.run({"undo", "--campaign", "c"});
  ASSERT_EQ(undone.exit_code, 0) << undone.output;
  json undo_report = scene.compare(before, scene.snapshot("undone"), restored_from(expect), false);
  EXPECT_TRUE(undo_report["ok"].get<bool>()) << undo_report.dump(1);
}

}  // namespace
}  // namespace mailprune::test
