// `mailprune nightly` as the systemd timer runs it: the binary, a configuration file and a campaign
// name, against real Dovecot and PostgreSQL (and Postfix delivering into Dovecot over LMTP for the
// reminders and the admins' report). tests/tools/mailbox_check.py (imaplib + email, nothing of
// mailprune) checks the mailboxes: after the deadline exactly the proposals nobody refused are
// applied, once, whether the run was killed and rerun or two runs went at once.
#include <gtest/gtest.h>

#include <signal.h>

#include <ctime>
#include <fstream>
#include <future>
#include <regex>
#include <thread>

#include "apply_scene.hpp"
#include "harness/dovecot_server.hpp"
#include "harness/imap_test_client.hpp"
#include "harness/postfix_server.hpp"

namespace mailprune::test {
namespace {

using nlohmann::json;

// The nightly run's campaign lock (server/nightly/nightly.hpp kCampaignLockClass, "nght").
constexpr int kCampaignLockClass = 0x6e676874;

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

std::string policy_toml(const std::string& extra) {
  return "[policy]\nquarantine_folder = \"mailprune/Quarantine\"\n\n"
         "[[rule]]\nname = \"large\"\naction = \"detach\"\napproval = \"opt-out\"\nmin_attachment_size = \"2kB\"\n\n"
         "[[rule]]\nname = \"archives\"\naction = \"delete\"\napproval = \"opt-out\"\nfolders = [\"Archives\"]\n\n" +
         extra;
}

// "YYYY-MM-DD", `days` from today (UTC).
std::string day_from_today(int days) {
  const std::time_t t = std::time(nullptr) + days * 86400;
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char text[16] = {};
  std::strftime(text, sizeof text, "%Y-%m-%d", &utc);
  return text;
}

// Messages of `user`'s INBOX that have `header` containing `value` (master login).
int count_with_header(const DovecotServer& imap, const std::string& user, const std::string& header,
                      const std::string& value) {
  auto client = ImapTestClient::connect_plain(imap.imap_port());
  client.login(imap.master_login(user), imap.master_password());
  client.command("SELECT INBOX");
  std::string hits =
      client.command("UID SEARCH HEADER " + header + " " + ImapTestClient::quote(value)).find("* SEARCH");
  std::smatch match;
  int count = 0;
  static const std::regex number(R"( \d+)");
  for (auto it = std::sregex_iterator(hits.begin(), hits.end(), number); it != std::sregex_iterator(); ++it) ++count;
  return count;
}

// Waits (30 s at most) until `user` has at least `count` such messages; returns how many there are.
int wait_for_header(const DovecotServer& imap, const std::string& user, const std::string& header,
                    const std::string& value, int count) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int seen = 0;
  while ((seen = count_with_header(imap, user, header, value)) < count && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return seen;
}

void exec(const MailpruneCli& cli, const std::string& sql) {
  pqxx::connection connection(cli.url());
  pqxx::work tx(connection);
  tx.exec(sql);
  tx.commit();
}

// The journal says every approved proposal was done once: nothing unfinished, no step twice, no
// proposal in two actions, every approved selected proposal in one.
void expect_journal_clean(const MailpruneCli& cli) {
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM action WHERE step NOT IN ('done', 'skipped')"), 0);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM action WHERE step = 'skipped' AND reason <> 'superseded'"), 0);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM (SELECT action_id, step FROM action_step GROUP BY 1, 2 "
                       "HAVING count(*) > 1) d"),
            0);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM (SELECT proposal_id FROM action_proposal GROUP BY 1 "
                       "HAVING count(*) > 1) d"),
            0);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM proposal p WHERE p.decision = 'approved' AND p.selected AND NOT EXISTS "
                       "(SELECT 1 FROM action_proposal ap WHERE ap.proposal_id = p.id)"),
            0);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM (SELECT mailbox_id, folder_name, uid, kind FROM action "
                       "GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) d"),
            0);
}

TEST(Nightly, RemindsOnceReportsOnceThenAppliesAfterTheDeadlineEvenWhenKilled) {
  TempDir mail("nightly-mail");
  auto set = generate_sample_mail(mail / "set", {.users = 2, .messages = 16, .seed = 21, .size_scale = 0.05});
  DovecotOptions dovecot_options;
  dovecot_options.lmtp = true;
  DovecotServer imap(dovecot_options);
  imap.load(set);
  imap.add_users({{"dsi@example.org", "dsi-pw"}});
  PostfixOptions postfix_options;
  postfix_options.lmtp_port = imap.lmtp_port();
  PostfixServer postfix(postfix_options);

  const std::string smtp = "[smtp]\nurl = \"smtp://127.0.0.1:" + std::to_string(postfix.smtp_port()) +
                           "\"\ntls = \"starttls\"\nca_file = " + toml_string(postfix.ca_path()) +
                           "\nfrom = \"DSI <dsi@example.net>\"\nrate_per_minute = 0\ntimeout_seconds = 20\n\n"
                           "[nightly]\nreminder_days_before = 3\n";
  ApplyScene scene(dovecot_source(imap, set.users), policy_toml(smtp), dovecot_check(imap));
  auto& cli = scene.cli();

  ASSERT_EQ(scene.run({"agents", "import", set.dir + "/agents.csv"}).exit_code, 0);
  // The deadline at the end of the day after tomorrow: inside the 3-day reminder window.
  auto created = scene.run({"campaign", "create", "c", "--deadline", day_from_today(2), "--admin", "dsi@example.org"});
  ASSERT_EQ(created.exit_code, 0) << created.output;
  auto launched = scene.run({"campaign", "launch", "c"});
  ASSERT_EQ(launched.exit_code, 0) << launched.output;
  auto notified = scene.run({"campaign", "notify", "c"});
  ASSERT_EQ(notified.exit_code, 0) << notified.output << postfix.log_tail();
  ASSERT_EQ(cli.strings("SELECT state FROM campaign WHERE name = 'c'"), std::vector<std::string>{"collecting"});
  ASSERT_GE(cli.scalar("SELECT count(*) FROM proposal WHERE selected AND action = 'detach'"), 4);
  // The first agent refuses one attachment on the review page (recorded as it would be).
  const std::string refused_id = cli.strings(
      "SELECT p.internet_message_id FROM proposal p JOIN mailbox m ON m.id = p.mailbox_id "
      "WHERE p.selected AND p.action = 'detach' AND m.address = '" +
      set.users[0] + "' ORDER BY p.id LIMIT 1")[0];
  exec(cli,
       "UPDATE proposal SET decision = 'refused', decided_at = now() WHERE selected AND "
       "internet_message_id = '" +
           refused_id + "'");

  // Night 1, before the deadline: nothing applied (opt-out waits), one reminder round, the report.
  auto night1 = scene.run({"nightly"});
  ASSERT_EQ(night1.exit_code, 0) << night1.output << postfix.log_tail();
  EXPECT_TRUE(contains(night1.output, "c: apply skipped: nothing approved waits")) << night1.output;
  EXPECT_TRUE(contains(night1.output, "c: notify ok: reminder round 1 queued")) << night1.output;
  EXPECT_TRUE(contains(night1.output, "c: report ok: sent to dsi@example.org")) << night1.output;
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM action"), 0);
  const auto reminders = cli.scalar("SELECT count(*) FROM notification WHERE kind = 'reminder'");
  EXPECT_EQ(reminders, static_cast<std::int64_t>(set.users.size()));
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM notification WHERE kind = 'reminder' AND status = 'sent'"), reminders);
  EXPECT_EQ(wait_for_header(imap, "dsi@example.org", "X-Mailprune-Report", "nightly", 1), 1) << postfix.log_tail();

  // Night 2, the same day: no second reminder, no second report.
  const auto attempts = cli.scalar("SELECT count(*) FROM notification_attempt");
  auto night2 = scene.run({"nightly", "--campaign", "c"});
  ASSERT_EQ(night2.exit_code, 0) << night2.output;
  EXPECT_TRUE(contains(night2.output, "c: notify skipped")) << night2.output;
  EXPECT_TRUE(contains(night2.output, "c: report skipped: already sent today")) << night2.output;
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM notification WHERE kind = 'reminder'"), reminders);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM notification_attempt"), attempts);

  // Every e-mail delivered before the mailboxes are snapshotted.
  for (const auto& user : set.users) {
    EXPECT_EQ(wait_for_header(imap, user, "X-Mailprune-Campaign", "c", 2), 2) << user << postfix.log_tail();
  }
  EXPECT_EQ(count_with_header(imap, "dsi@example.org", "X-Mailprune-Report", "nightly"), 1);

  // The deadline passes. Night 3 is killed in the middle of a detach; night 4 completes it.
  exec(cli, "UPDATE campaign SET deadline = now() - interval '1 minute' WHERE name = 'c'");
  const std::string before = scene.snapshot("before");
  auto killed = scene.run({"nightly"}, {"MAILPRUNE_FAULT_AFTER_STEP=uploaded:2"});
  ASSERT_EQ(killed.exit_code, 137) << killed.output;
  EXPECT_EQ(cli.strings("SELECT state FROM campaign WHERE name = 'c'"), std::vector<std::string>{"applying"});
  auto night4 = scene.run({"nightly"});
  ASSERT_EQ(night4.exit_code, 0) << night4.output;
  EXPECT_TRUE(contains(night4.output, "c: apply ok")) << night4.output;
  EXPECT_EQ(cli.strings("SELECT state FROM campaign WHERE name = 'c'"), std::vector<std::string>{"collecting"});
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM nightly_run WHERE status = 'interrupted'"), 1);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM nightly_run WHERE status = 'running'"), 0);
  // The deadline approved every opt-out proposal nobody refused, once, with an audit row each.
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM proposal WHERE selected AND decision = 'pending'"), 0);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM decision_audit WHERE origin = 'deadline'"),
            cli.scalar("SELECT count(*) FROM proposal WHERE selected AND decision = 'approved'"));
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM proposal WHERE decision = 'refused' AND EXISTS "
                       "(SELECT 1 FROM action_proposal ap WHERE ap.proposal_id = proposal.id)"),
            0);
  expect_journal_clean(cli);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM notification WHERE kind = 'reminder'"), reminders);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM nightly_step WHERE step = 'report' AND outcome = 'ok'"), 1);

  const std::string after = scene.snapshot("after");
  const json expect = scene.expected("c");
  ASSERT_GE(expect["detached"].size(), 3u);
  json report = scene.compare(before, after, expect);
  EXPECT_TRUE(report["ok"].get<bool>()) << report.dump(1);
  EXPECT_EQ(report["counts"]["detached_parts"], expect["detached"].size());
  EXPECT_EQ(report["counts"]["moved"], expect["moved"].size());

  // The grace period ends: the next night purges the quarantine, and only it.
  const auto quarantined = cli.scalar("SELECT count(*) FROM action WHERE kind = 'delete' AND step = 'done'");
  ASSERT_GT(quarantined, 0);
  exec(cli, "UPDATE action SET purge_after = now() - interval '1 second' WHERE kind = 'delete'");
  auto night5 = scene.run({"nightly"});
  ASSERT_EQ(night5.exit_code, 0) << night5.output;
  EXPECT_TRUE(contains(night5.output, "c: purge ok")) << night5.output;
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM action WHERE step = 'purged'"), quarantined);
  json purge_report = scene.compare(after, scene.snapshot("purged"), scene.expected_purge(), false);
  EXPECT_TRUE(purge_report["ok"].get<bool>()) << purge_report.dump(1);
  EXPECT_EQ(purge_report["counts"]["removed"].get<std::int64_t>(), quarantined);
}

TEST(Nightly, ARunHoldingTheCampaignIsSkippedAndTwoRunsAtOnceDoEverythingOnce) {
  TempDir mail("nightly-mail");
  auto set = generate_sample_mail(mail / "set", {.users = 2, .messages = 16, .seed = 22, .size_scale = 0.05});
  DovecotServer imap;
  imap.load(set);
  ApplyScene scene(dovecot_source(imap, set.users), policy_toml(""), dovecot_check(imap));
  auto& cli = scene.cli();
  ASSERT_EQ(scene.run({"campaign", "create", "c", "--deadline", day_from_today(10)}).exit_code, 0);
  auto launched = scene.run({"campaign", "launch", "c"});
  ASSERT_EQ(launched.exit_code, 0) << launched.output;
  // Agents were told (no SMTP in this test) and the deadline has passed.
  exec(cli, "UPDATE campaign SET state = 'collecting', deadline = now() - interval '1 minute' WHERE name = 'c'");
  const auto campaign_id = cli.scalar("SELECT id FROM campaign WHERE name = 'c'");

  // Another run holds the campaign: this one says so, does nothing to it, and exits 0.
  {
    pqxx::connection holder(cli.url());
    pqxx::nontransaction tx(holder);
    tx.exec_params("SELECT pg_advisory_lock($1, $2::int)", kCampaignLockClass, campaign_id);
    auto skipped = scene.run({"nightly", "--campaign", "c"});
    EXPECT_EQ(skipped.exit_code, 0) << skipped.output;
    EXPECT_TRUE(contains(skipped.output, "c: lock skipped: another nightly run is working on it")) << skipped.output;
    EXPECT_TRUE(contains(skipped.output, "1 campaign(s) held by another run")) << skipped.output;
    EXPECT_EQ(cli.scalar("SELECT count(*) FROM action"), 0);
    EXPECT_EQ(cli.scalar("SELECT count(*) FROM proposal WHERE decision = 'approved'"), 0);
  }

  // A dry run says what would happen and writes nothing.
  auto dry = scene.run({"nightly", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_TRUE(contains(dry.output, "opt-out proposal(s) would become approved")) << dry.output;
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM nightly_run"), 1);  // the skipped run's only

  const std::string before = scene.snapshot("before");
  auto first = std::async(std::launch::async, [&] { return scene.run({"nightly"}); });
  auto second = std::async(std::launch::async, [&] { return scene.run({"nightly"}); });
  auto a = first.get();
  auto b = second.get();
  EXPECT_EQ(a.exit_code, 0) << a.output;
  EXPECT_EQ(b.exit_code, 0) << b.output;
  // Either one run skipped the campaign held by the other, or they ran one after the other and
  // the second found nothing left: never both applying.
  const bool one_skipped = contains(a.output + b.output, "another nightly run is working on it");
  const bool one_idle = contains(a.output + b.output, "nothing approved waits to be applied");
  EXPECT_TRUE(one_skipped || one_idle) << a.output << "\n----\n" << b.output;
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM apply_run WHERE kind = 'apply'"), 1);
  expect_journal_clean(cli);
  EXPECT_EQ(cli.strings("SELECT state FROM campaign WHERE name = 'c'"), std::vector<std::string>{"collecting"});

  json report = scene.compare(before, scene.snapshot("after"), scene.expected("c"));
  EXPECT_TRUE(report["ok"].get<bool>()) << report.dump(1);
  EXPECT_GE(report["counts"]["detached_parts"].get<int>(), 3);
}

TEST(Nightly, ServeWithAScheduleWaitsForItsTimeAndStopsOnSigterm) {
  MailpruneCli cli({});
  // Two hours from now, local time: announced, not run during the test.
  const std::time_t later = std::time(nullptr) + 2 * 3600;
  std::tm local{};
  ::localtime_r(&later, &local);
  char at[8] = {};
  std::strftime(at, sizeof at, "%H:%M", &local);
  {
    std::ofstream out(cli.config_path(), std::ios::app);
    out << "\n[server]\nlisten = [\"127.0.0.1:0\"]\n\n[nightly]\nschedule = \"" << at << "\"\n";
  }
  TempDir dir("nightly-serve");
  const std::string log = dir / "serve.log";
  platform::SpawnOptions options;
  options.argv = {MAILPRUNE_BINARY, "--config", cli.config_path(), "--log-format", "text", "serve"};
  options.extra_env = {"MAILPRUNE_TEST_DB_PASSWORD=" + PostgresServer::shared().password()};
  options.stdout_path = log;
  options.stderr_path = "=stdout";
  options.parent_death_signal = SIGKILL;
  platform::Process serve = platform::spawn(options);
  const std::string expected = std::string(" ") + at + " ";  // "next scheduled run at YYYY-MM-DD HH:MM TZ"
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!contains(read_file(log), expected) && serve.running() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(contains(read_file(log), "nightly: next scheduled run at ")) << read_file(log);
  EXPECT_TRUE(contains(read_file(log), expected)) << read_file(log);
  EXPECT_TRUE(contains(read_file(log), "listening on http://127.0.0.1:")) << read_file(log);
  const auto stopping = std::chrono::steady_clock::now();
  EXPECT_EQ(serve.terminate(std::chrono::seconds(20)), 0) << read_file(log);
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::seconds(15));
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM nightly_run"), 0);
}

}  // namespace
}  // namespace mailprune::test
