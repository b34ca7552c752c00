// The admin console in headless Chromium against real parts only: PostgreSQL and Dovecot from the
// harness (generated mailboxes), `mailprune serve` with its JSON API, accounts made with
// `mailprune admin add`. tests/browser/console_e2e.js drives the pages with their own controls
// (login errors and throttling, create a campaign, what-if, launch against Dovecot and watch the
// crawl and plan finish on the campaign page, the progress page made public from the console and
// watched in a second tab while the console applies against Dovecot, the reports, a hold added and
// removed, agents imported from a CSV, logout, a viewer without admin buttons, English, a narrow
// screen) and saves a screenshot of each page. This test then checks in PostgreSQL what the clicks
// did: the campaign as it was filled in, planned, launched by the admin through the API (audit),
// the progress page switched, the apply and undo jobs, the holds and agents, and the refused
// logins recorded. A second test shows a campaign's failed actions on the failures page and
// retries one.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "apply_scene.hpp"
#include "browser/browser_script.hpp"
#include "harness/dovecot_server.hpp"
#include "harness/logged_child.hpp"
#include "http/raw_client.hpp"

namespace mailprune::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const char* kCampaign = "printemps-console";
const char* kHoldReason = "Réquisition judiciaire 2026-17";

using Serve = test::LoggedChild;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Generated mailboxes in Dovecot, a configuration with one detach rule (`approval`), the agents
// imported and a first crawl, two accounts (admin alice, viewer victor) made with `mailprune
// admin add`; serve() starts `mailprune serve` on a free port.
class ConsoleScene {
 public:
  explicit ConsoleScene(const std::string& approval)
      : work_("console"),
        set_(generate_sample_mail(work_ / "mail", {.users = 3, .messages = 12, .seed = 7, .size_scale = 0.05})),
        http_port_(free_port()) {
    imap_.load(set_);
    CliSource source = dovecot_source(imap_, set_.users);
    source.timeout_seconds = 5;
    const std::string settings = "[server]\nlisten = [\"127.0.0.1:" + std::to_string(http_port_) +
                                 "\"]\n\n[[rule]]\nname = \"grosses-pieces-jointes\"\naction = \"detach\"\n"
                                 "approval = \"" +
                                 approval + "\"\nmin_attachment_size = \"5kB\"\n";
    scene_ = std::make_unique<ApplyScene>(source, settings, dovecot_check(imap_));

    // Agents (with their teams) and a first crawl, so reports and what-if have an inventory.
    run({"agents", "import", set_.dir + "/agents.csv"});
    run({"crawl"});
    write_file(work_ / "admin.pw", admin_password + "\n", 0600);
    write_file(work_ / "viewer.pw", viewer_password + "\n", 0600);
    run({"admin", "add", "alice", "--role", "admin", "--password-file", work_ / "admin.pw"});
    run({"admin", "add", "victor", "--role", "viewer", "--password-file", work_ / "viewer.pw"});
  }

  // `mailprune ARGS...`; a failure is reported (with the output) unless `may_fail`.
  platform::RunResult run(const std::vector<std::string>& args, bool may_fail = false) {
    auto result = scene_->run(args);
    if (result.exit_code != 0 && !may_fail) {
      std::string command = "mailprune";
      for (const auto& a : args) command += " " + a;
      ADD_FAILURE() << command << ": exit " << result.exit_code << "\n" << result.output;
    }
    return result;
  }

  // Starts `mailprune serve`; false (with the log in the failure) when it does not listen.
  bool serve() {
    serve_ = std::make_unique<Serve>(
        work_ / "serve.log",
        std::vector<std::string>{MAILPRUNE_BINARY, "--config", cli().config_path(), "--log-format", "text", "serve"},
        std::vector<std::string>{"MAILPRUNE_TEST_DB_PASSWORD=" + PostgresServer::shared().password(),
                                 "MAILPRUNE_TEST_SOURCE_PASSWORD_0=" + imap_.master_password()});
    return serve_->wait_for_port() != 0;
  }

  // tests/browser/console_e2e.js MODE with `settings` (the accounts added); its JSON result.
  json browse(const std::string& mode, json settings) {
    settings["admin"] = {"alice", admin_password};
    settings["viewer"] = {"victor", viewer_password};
    auto browsed = run_browser_script("console_e2e.js", {mode, base_url(), settings.dump()});
    EXPECT_EQ(browsed.exit_code, 0) << browsed.output << "\n--- serve log ---\n" << serve_log();
    return browsed.exit_code == 0 ? browser_result(browsed, "console_e2e.js") : json::object();
  }

  MailpruneCli& cli() { return scene_->cli(); }
  DovecotServer& imap() { return imap_; }
  std::uint16_t http_port() const { return http_port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  std::string serve_log() const { return serve_ ? serve_->log() : ""; }

  const std::string admin_password = "correct horse battery staple";
  const std::string viewer_password = "viewer password 2026";

 private:
  TempDir work_;
  SampleMailSet set_;
  DovecotServer imap_;
  std::uint16_t http_port_;
  std::unique_ptr<ApplyScene> scene_;
  std::unique_ptr<Serve> serve_;
};

TEST(ConsoleBrowser, AdminCreatesWhatIfLaunchesAndWatchesViewerCannotLaunch) {
  ConsoleScene scene("opt-out");
  auto& cli = scene.cli();
  ASSERT_FALSE(::testing::Test::HasFailure());
  const auto teams = cli.strings("SELECT DISTINCT t.name FROM mailbox m JOIN team t ON t.id = m.team_id ORDER BY 1");
  ASSERT_FALSE(teams.empty());
  const auto team_mailboxes = cli.strings(
      "SELECT m.address FROM mailbox m JOIN team t ON t.id = m.team_id WHERE t.name = '" + teams.front() + "'");
  ASSERT_FALSE(team_mailboxes.empty());
  const std::string undo_mailbox = team_mailboxes.front();
  // A hold from the command line (a sender nobody is: it keeps nothing from the campaign), which the
  // holds page lists and the viewer sees.
  scene.run({"hold", "add", "--sender", "personne@example.invalid", "--reason", "Dossier 2026-041"});
  ASSERT_TRUE(scene.serve()) << scene.serve_log();

  // The console's files come from the binary.
  auto index = mailprune::testing::fetch(scene.http_port(), mailprune::testing::get_request("/console/"));
  ASSERT_EQ(index.status, 200) << scene.serve_log();
  EXPECT_TRUE(contains(index.body, "<script type=\"module\" src=\"app.js\"></script>")) << index.body;
  EXPECT_TRUE(contains(index.header("content-security-policy"), "script-src 'self'"));

  // In real life agents approve proposals on their review pages (after `notify`); the browser
  // cannot stand in for them here, so the script runs this command at that point: it sets every
  // selected proposal of the campaign approved in PostgreSQL, as their clicks would, and prints how
  // many. The apply that follows is the console's, against Dovecot.
  const std::string approve_sql =
      "WITH approved AS (UPDATE proposal SET decision = 'approved', decided_at = now() WHERE selected AND "
      "decision = 'pending' AND campaign_id = (SELECT id FROM campaign WHERE name = '" +
      std::string(kCampaign) + "') RETURNING 1) SELECT count(*) FROM approved";
  json seen = scene.browse("campaign", {{"campaign", kCampaign},
                                        {"target", "1MB"},
                                        {"deadline", "2099-12-31"},
                                        {"team", teams.front()},
                                        {"undoMailbox", undo_mailbox},
                                        {"approve", json::array({"psql", cli.url(), "-X", "-q", "-t", "-A", "-v",
                                                                 "ON_ERROR_STOP=1", "-c", approve_sql})},
                                        {"hold",
                                         {{"mailbox", undo_mailbox},
                                          {"folder", "Contentieux/**"},
                                          {"from", "2020-01-01"},
                                          {"to", "2020-12-31"},
                                          {"reason", kHoldReason}}},
                                        {"agentsCsv",
                                         "address,display_name,team,language\n"
                                         "zoe.lambert@example.org,Zoé Lambert,Archives départementales,fr\n"
                                         "yann.kerouac@example.org,Yann Kerouac,Archives départementales,en\n"}});
  ASSERT_FALSE(seen.empty());

  // What the pages showed.
  EXPECT_EQ(seen["lang"], "fr");
  EXPECT_EQ(seen["englishLang"], "en");
  EXPECT_TRUE(contains(seen.value("csp", ""), "script-src 'self'")) << seen.dump();
  EXPECT_EQ(seen["loginPageShows"], json({{"logout", false}, {"nav", false}})) << "signed out: no menu, no logout";
  EXPECT_EQ(seen["wrongPassword"], "Identifiant ou mot de passe incorrect.");
  EXPECT_TRUE(contains(seen.value("throttled", ""), "Réessayez dans")) << seen.dump();
  EXPECT_TRUE(contains(seen.value("whoami", ""), "alice")) << seen.dump();
  EXPECT_TRUE(contains(seen.value("whatIf", ""), "1\u00a0Mo")) << "the projection names the target: " << seen.dump();
  EXPECT_GE(seen.value("whatIfTeams", 0), 1) << seen.dump();
  EXPECT_TRUE(seen.value("samePage", false));
  ASSERT_TRUE(seen["progressSeen"].is_array());
  EXPECT_TRUE(contains(seen["progressSeen"].back().get<std::string>(), "launch:done Propositions")) << seen.dump();
  EXPECT_GE(seen.value("teamRows", 0), 1) << seen.dump();
  EXPECT_NE(seen.value("proposedFigure", ""), "0\u00a0o") << "the plan proposed something: " << seen.dump();
  EXPECT_TRUE(contains(seen.value("notifyConfirm", ""), kCampaign)) << seen.dump();
  EXPECT_EQ(seen["jobsSeen"], json({"apply:done", "undo:done", "undo:done"})) << seen.dump();
  // The progress page: switched on from the console, opened in a second tab, moved by the apply.
  EXPECT_EQ(seen["pageModeBefore"], "désactivée") << seen.dump();
  EXPECT_EQ(seen["pageMode"], "publique, sans connexion") << seen.dump();
  EXPECT_EQ(seen["progressTabPath"], "/progress/" + std::string(kCampaign)) << seen.dump();
  EXPECT_TRUE(contains(seen.value("pageUrl", ""), "/progress/" + std::string(kCampaign))) << seen.dump();
  EXPECT_GT(std::stoi(seen.value("approveOutput", "0")), 0) << "proposals to approve: " << seen.dump();
  ASSERT_TRUE(seen["progressFreed"].is_array()) << seen.dump();
  EXPECT_NE(seen["progressFreed"][0], seen["progressFreed"][1]) << seen.dump();
  EXPECT_EQ(seen["progressNoReload"], true);
  std::printf("progress page part of the run (with the apply): %d ms\n", seen.value("progressPageMs", -1));
  EXPECT_TRUE(contains(seen.value("applyConfirm", ""), "seront appliquées")) << seen.dump();
  EXPECT_TRUE(contains(seen.value("undoMailboxConfirm", ""), undo_mailbox)) << seen.dump();
  EXPECT_TRUE(contains(seen.value("undoConfirm", ""), "sera remis en place")) << seen.dump();
  EXPECT_EQ(seen["nameTaken"], "Une campagne porte déjà ce nom.");
  EXPECT_EQ(seen["nameInvalid"], "true");
  EXPECT_EQ(seen.value("mailboxRows", 0), 3) << seen.dump();
  EXPECT_GE(seen.value("attachmentRows", 0), 1) << seen.dump();
  EXPECT_TRUE(contains(seen.value("duplicate", ""), "est stocké")) << seen.dump();
  EXPECT_EQ(seen["afterLogout"], "Vous êtes déconnecté.");
  EXPECT_EQ(seen["viewerNewLink"], 0);
  EXPECT_EQ(seen["viewerLaunchButtons"], 0);
  EXPECT_EQ(seen["viewerActionButtons"], 0);
  EXPECT_EQ(seen["viewerPageMode"], "publique, sans connexion") << "viewers see the mode";
  EXPECT_EQ(seen["viewerPageButtons"], 0) << "but cannot switch it";
  EXPECT_LE(seen.value("narrowOverflow", 999), 0) << "the page scrolls sideways at 375 px";
  // Holds: the CLI's listed; one added from the form (refused first without a reason), listed
  // with its dates as days, then removed; each change confirmed in a dialog.
  EXPECT_EQ(seen["holdsBefore"], "1 conservation(s) en vigueur.") << seen.dump();
  EXPECT_EQ(seen["holdReasonMissing"], "Indiquez un motif.");
  for (const std::string& part : {undo_mailbox, std::string("Contentieux/**"), std::string(kHoldReason)}) {
    EXPECT_TRUE(contains(seen.value("holdAddConfirm", ""), part)) << part << ": " << seen.dump();
  }
  EXPECT_TRUE(contains(seen.value("holdAdded", ""), "ajoutée")) << seen.dump();
  EXPECT_EQ(seen.value("holdRowsAfterAdd", 0), 1) << seen.dump();
  for (const std::string& part : {undo_mailbox, std::string("1 janv. 2020"), std::string("31 déc. 2020"),
                                  std::string("console ou API"), std::string("alice")}) {
    EXPECT_TRUE(contains(seen.value("holdRow", ""), part)) << part << ": " << seen.dump();
  }
  EXPECT_TRUE(contains(seen.value("holdRemoveConfirm", ""), kHoldReason)) << seen.dump();
  EXPECT_TRUE(contains(seen.value("holdRemoved", ""), "retirée")) << seen.dump();
  EXPECT_EQ(seen["holdsAfter"], "1 conservation(s) en vigueur.") << seen.dump();
  EXPECT_EQ(seen["holdRemoveButtons"], 1) << "the CLI's hold may be removed too";
  // Agents: a bad line refuses the whole file and is named; the good file's report.
  EXPECT_TRUE(contains(seen.value("importErrors", ""), "rien n’a été importé")) << seen.dump();
  EXPECT_TRUE(contains(seen.value("importErrors", ""), "ligne 3 :")) << seen.dump();
  EXPECT_EQ(seen["importReport"], "2 agent(s) dans le fichier : 2 ajouté(s), 0 mis à jour, 0 inchangé(s).")
      << seen.dump();
  EXPECT_EQ(seen["importNewTeams"], json::array({"Archives départementales"})) << seen.dump();
  EXPECT_EQ(seen.value("agentRowsAfter", 0), seen.value("agentRowsBefore", 0) + 2) << seen.dump();
  // The viewer: lists only.
  EXPECT_EQ(seen["viewerHoldRows"], 1) << seen.dump();
  EXPECT_EQ(seen["viewerHoldForms"], 0);
  EXPECT_EQ(seen["viewerHoldButtons"], 0);
  EXPECT_EQ(seen["viewerAgentRows"], seen["agentRowsAfter"]) << seen.dump();
  EXPECT_EQ(seen["viewerImportForms"], 0);
  EXPECT_EQ(seen["viewerAgentButtons"], 0);
  std::printf("holds and agents part of the run: %d ms\n", seen.value("holdsAgentsMs", -1));
  for (const char* name : {"console-login",
                           "console-login-error",
                           "console-login-throttled",
                           "console-campaigns-empty",
                           "console-campaign-new",
                           "console-campaign-new-error",
                           "console-what-if",
                           "console-campaign",
                           "console-confirm-notify",
                           "console-largest-mailboxes",
                           "console-largest-attachments",
                           "console-duplicates",
                           "console-failures",
                           "console-viewer-campaign",
                           "console-campaign-narrow",
                           "console-login-en",
                           "console-progress-page",
                           "progress-page-before-apply",
                           "progress-page-after-apply",
                           "console-hold-new",
                           "console-holds",
                           "console-holds-removed",
                           "console-agents-import-error",
                           "console-agents-import",
                           "console-viewer-holds"}) {
    EXPECT_TRUE(std::filesystem::exists(screenshot_dir() + "/" + name + ".png")) << name;
  }

  // What the clicks did, read from PostgreSQL.
  const std::string campaign = "FROM campaign WHERE name = '" + std::string(kCampaign) + "'";
  EXPECT_EQ(cli.strings("SELECT state " + campaign), std::vector<std::string>{"proposing"}) << "launched, not notified";
  EXPECT_EQ(cli.scalar("SELECT target_bytes " + campaign), 1000000);
  EXPECT_EQ(cli.strings("SELECT to_char(deadline AT TIME ZONE 'UTC', 'YYYY') " + campaign),
            std::vector<std::string>{"2099"});
  EXPECT_EQ(cli.strings("SELECT scope->'teams'->>0 " + campaign), std::vector<std::string>{teams.front()});
  EXPECT_GT(cli.scalar("SELECT count(*) FROM proposal p JOIN campaign c ON c.id = p.campaign_id WHERE c.name = '" +
                       std::string(kCampaign) + "'"),
            0);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM notification"), 0) << "the notify dialog was cancelled";
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM audit_log WHERE action = 'campaign.create' AND actor_kind = 'session'"
                       " AND actor = 'alice'"),
            1);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM audit_log WHERE action = 'campaign.launch' AND actor = 'alice'"), 1);
  EXPECT_EQ(
      cli.strings("SELECT kind || ' ' || state || ' ' || coalesce(params->>'mailbox', '-') FROM api_job ORDER BY id"),
      (std::vector<std::string>{"launch done -", "apply done -", "undo done " + undo_mailbox, "undo done -"}));
  EXPECT_EQ(cli.strings("SELECT progress_done || '/' || progress_total || ' failed ' || progress_failed FROM api_job"
                        " WHERE kind = 'launch'"),
            std::vector<std::string>{"1/1 failed 0"})
      << "the team ticked has one mailbox, crawled by the launch";
  // The apply had work: actions journaled against Dovecot (then undone), none failed.
  EXPECT_GT(cli.scalar("SELECT count(*) FROM action a JOIN campaign c ON c.id = a.campaign_id WHERE c.name = '" +
                       std::string(kCampaign) + "'"),
            0);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM action WHERE step = 'failed'"), 0);
  EXPECT_EQ(cli.strings("SELECT (progress_done > 0)::text FROM api_job WHERE kind = 'apply'"),
            std::vector<std::string>{"true"});
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM audit_log WHERE action = 'campaign.progress_page' AND actor = 'alice'"
                       " AND details->>'mode' = 'public'"),
            1);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM login_attempt WHERE outcome = 'failure'"), 6);
  EXPECT_GE(cli.scalar("SELECT count(*) FROM login_attempt WHERE outcome = 'throttled' AND login = 'nobody-here'"), 1);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM audit_log WHERE action = 'logout'"), 1);
  EXPECT_EQ(cli.strings("SELECT origin || ' ' || reason FROM hold"), std::vector<std::string>{"cli Dossier 2026-041"});
  for (const char* action : {"hold.create", "hold.remove", "agents.import"}) {
    EXPECT_EQ(cli.scalar("SELECT count(*) FROM audit_log WHERE action = '" + std::string(action) +
                         "' AND actor_kind = 'session' AND actor = 'alice'"),
              1)
        << action;
  }
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM agent WHERE address = 'zoe@example.org'"), 0) << "the bad file imported";
  EXPECT_EQ(cli.strings("SELECT a.address || ' ' || a.language FROM agent a JOIN team t ON t.id = a.team_id"
                        " WHERE t.name = 'Archives départementales' ORDER BY 1"),
            (std::vector<std::string>{"yann.kerouac@example.org en", "zoe.lambert@example.org fr"}));

  // /metrics times every route under its pattern, never under what follows a prefix: a progress
  // page behind a link (a fresh one: the CLI shows it once) and a review link, then a scrape.
  auto linked = scene.run({"campaign", "progress-page", kCampaign, "--link"});
  auto link_at = linked.output.rfind("/progress/");
  ASSERT_NE(link_at, std::string::npos) << linked.output;
  const std::string page_token =
      linked.output.substr(link_at + 10, linked.output.find_first_of(" \n", link_at) - link_at - 10);
  ASSERT_EQ(page_token.size(), 43u) << linked.output;
  EXPECT_EQ(
      mailprune::testing::fetch(scene.http_port(), mailprune::testing::get_request("/progress/" + page_token)).status,
      200);
  const std::string review_token = "reviewtokenthatnoonesigned0123456789";
  EXPECT_NE(
      mailprune::testing::fetch(scene.http_port(), mailprune::testing::get_request("/review/" + review_token)).status,
      200);
  auto scraped = mailprune::testing::fetch(scene.http_port(), mailprune::testing::get_request("/metrics"));
  ASSERT_EQ(scraped.status, 200);
  auto has_latency = [&scraped](const std::string& route) {
    std::istringstream lines(scraped.body);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("mailprune_http_request_duration_seconds_count{", 0) == 0 &&
          contains(line, "route=\"" + route + "\"") && line.substr(line.rfind(' ') + 1) != "0") {
        return true;
      }
    }
    return false;
  };
  for (const char* route : {"/progress/{key}", "/progress/{key}/events", "/review/{token}", "/console/{file}",
                            "/assets/{name}", "/api/v1/campaigns/{id}/progress-page"}) {
    EXPECT_TRUE(has_latency(route)) << route << "\n" << scraped.body;
  }
  EXPECT_FALSE(contains(scraped.body, page_token));
  EXPECT_FALSE(contains(scraped.body, review_token));

  // The access log shows the console's files and the API calls, never a password.
  std::string log = scene.serve_log();
  EXPECT_TRUE(contains(log, "GET /console/app.js 200")) << log;
  EXPECT_TRUE(contains(log, "POST /api/v1/campaigns 201")) << log;
  EXPECT_FALSE(contains(log, scene.admin_password));
}

// Failed actions of a campaign: the failures page lists them by reason and one by one; "retry" on
// one starts a retry job through the API, "retry all" asks first.
TEST(ConsoleBrowser, FailuresPageListsFailedActionsAndRetriesOne) {
  ConsoleScene scene("auto");  // approved from the start: apply has work to do
  auto& cli = scene.cli();
  ASSERT_FALSE(::testing::Test::HasFailure());
  scene.run({"campaign", "create", "echecs", "--target", "1MB", "--deadline", "2099-12-31"});
  scene.run({"campaign", "launch", "echecs", "--no-crawl"});
  const auto approved = cli.scalar("SELECT count(*) FROM proposal WHERE selected AND decision = 'approved'");
  ASSERT_GT(approved, 0);
  // An apply while the IMAP server is down takes the approved proposals into actions but cannot
  // reach their mailbox (they stay approved: unreachable mailboxes are retried by the next run, not
  // failed). No server fault cheaply gives a per-action failure, so the actions are then marked
  // failed as a run that got a NO would leave them (reason, failed_step); the rest is real.
  scene.imap().stop();
  auto applied = scene.run({"apply", "--campaign", "echecs"}, /*may_fail=*/true);
  const auto taken = cli.scalar("SELECT count(*) FROM action WHERE step = 'approved'");
  ASSERT_GT(taken, 0) << applied.output;
  {
    pqxx::connection connection(cli.url());
    pqxx::work tx(connection);
    tx.exec0(
        "UPDATE action SET step = 'failed', failed_step = 'approved', reason = 'upload: NO [OVERQUOTA] Quota exceeded'"
        " WHERE step = 'approved'");
    tx.commit();
  }
  const auto failed = taken;
  ASSERT_TRUE(scene.serve()) << scene.serve_log();

  json seen = scene.browse("failures", json::object());
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen["total"], std::to_string(failed) + " actions en échec.") << seen.dump();
  EXPECT_EQ(seen.value("rows", 0), failed) << seen.dump();
  EXPECT_GE(seen.value("reasons", 0), 1) << seen.dump();
  EXPECT_TRUE(contains(seen.value("retried", ""), "Nouvelle tentative lancée")) << seen.dump();
  EXPECT_TRUE(contains(seen.value("retryAllConfirm", ""), std::to_string(failed))) << seen.dump();
  for (const char* name : {"console-failures-list", "console-failures-retried"}) {
    EXPECT_TRUE(std::filesystem::exists(screenshot_dir() + "/" + name + ".png")) << name;
  }
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM api_job WHERE kind = 'retry'"), 1) << "one retry, not all";
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM api_job WHERE kind = 'apply'"), 0) << "retry all was cancelled";
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM audit_log WHERE action = 'action.retry' AND actor = 'alice'"), 1);
}

}  // namespace
}  // namespace mailprune::test
