// The admin console in headless Chromium against real parts only: PostgreSQL and Dovecot from the
// harness (generated mailboxes), `mailprune serve` with its JSON API, accounts made with
// `mailprune admin add`. tests/browser/console_e2e.js drives the pages with their own controls
// (login errors and throttling, create a campaign, what-if, launch against Dovecot and watch the
// crawl and plan finish on the campaign page, the reports, logout, a viewer without admin
// buttons, English, a narrow screen) and saves a screenshot of each page. This test then checks in
// PostgreSQL what the clicks did: the campaign as it was filled in, planned, launched by the
// admin through the API (audit), the apply and undo jobs, and the refused logins recorded. A second
// test shows a campaign's failed actions on the failures page and retries one.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "apply_scene.hpp"
#include "harness/dovecot_server.hpp"
#include "http/raw_client.hpp"

namespace mailprune::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const char* kCampaign = "printemps-console";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// `mailprune serve` as a child process, output in a log file; stopped by PID.
class Serve {
 public:
  Serve(const std::string& log, std::vector<std::string> argv, std::vector<std::string> env) : log_(log) {
    platform::SpawnOptions options;
    options.argv = std::move(argv);
    options.extra_env = std::move(env);
    options.stdout_path = log_;
    options.stderr_path = "=stdout";
    options.parent_death_signal = SIGKILL;
    process_ = platform::spawn(options);
  }
  ~Serve() {
    if (process_.valid() && process_.running()) process_.terminate(5s);
  }
  bool wait_listening(std::chrono::seconds timeout = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (read_text(log_).find("listening on http://") != std::string::npos) return true;
      if (!process_.running()) return false;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  std::string log() const { return read_text(log_); }

 private:
  std::string log_;
  platform::Process process_;
};

std::string screenshot_dir() {
  const char* dir = std::getenv("MAILPRUNE_SCREENSHOT_DIR");
  return dir != nullptr && *dir != '\0' ? dir : MAILPRUNE_SCREENSHOT_DIR;
}

// The JSON line console_e2e.js printed last.
json browser_result(const platform::RunResult& run) {
  auto at = run.output.rfind("\n{");
  std::string line = at == std::string::npos ? run.output : run.output.substr(at + 1);
  try {
    return json::parse(line);
  } catch (const std::exception&) {
    ADD_FAILURE() << "console_e2e.js printed no result: " << run.output;
    return json::object();
  }
}

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
    CliSource source;
    source.name = "dovecot";
    source.port = imap_.imap_port();
    source.user = imap_.master_user();
    source.password = imap_.master_password();
    source.max_connections = 2;
    source.timeout_seconds = 5;
    source.mailboxes = set_.users;
    CheckLogin check;
    check.port = imap_.imap_port();
    check.login_format = "{mailbox}*" + imap_.master_user();
    check.password = imap_.master_password();
    const std::string settings = "[server]\nlisten = [\"127.0.0.1:" + std::to_string(http_port_) +
                                 "\"]\n\n[[rule]]\nname = \"grosses-pieces-jointes\"\naction = \"detach\"\n"
                                 "approval = \"" +
                                 approval + "\"\nmin_attachment_size = \"5kB\"\n";
    scene_ = std::make_unique<ApplyScene>(source, settings, check);

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
    return serve_->wait_listening();
  }

  // tests/browser/console_e2e.js MODE with `settings` (the accounts added); its JSON result.
  json browse(const std::string& mode, json settings) {
    settings["admin"] = {"alice", admin_password};
    settings["viewer"] = {"victor", viewer_password};
    auto browsed = platform::run(
        {"node", std::string(MAILPRUNE_BROWSER_DIR) + "/console_e2e.js", mode, base_url(), settings.dump()},
        std::nullopt, {"MAILPRUNE_SCREENSHOT_DIR=" + screenshot_dir()});
    EXPECT_EQ(browsed.exit_code, 0) << browsed.output << "\n--- serve log ---\n" << serve_log();
    return browsed.exit_code == 0 ? browser_result(browsed) : json::object();
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
  ASSERT_TRUE(scene.serve()) << scene.serve_log();

  // The console's files come from the binary.
  auto index = mailprune::testing::fetch(scene.http_port(), mailprune::testing::get_request("/console/"));
  ASSERT_EQ(index.status, 200) << scene.serve_log();
  EXPECT_TRUE(contains(index.body, "<script type=\"module\" src=\"app.js\"></script>")) << index.body;
  EXPECT_TRUE(contains(index.header("content-security-policy"), "script-src 'self'"));

  json seen = scene.browse("campaign", {{"campaign", kCampaign},
                                        {"target", "1MB"},
                                        {"deadline", "2099-12-31"},
                                        {"team", teams.front()},
                                        {"undoMailbox", undo_mailbox}});
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
  EXPECT_LE(seen.value("narrowOverflow", 999), 0) << "the page scrolls sideways at 375 px";
  for (const char* name :
       {"console-login", "console-login-error", "console-login-throttled", "console-campaigns-empty",
        "console-campaign-new", "console-campaign-new-error", "console-what-if", "console-campaign",
        "console-confirm-notify", "console-largest-mailboxes", "console-largest-attachments", "console-duplicates",
        "console-failures", "console-viewer-campaign", "console-campaign-narrow", "console-login-en"}) {
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
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM login_attempt WHERE outcome = 'failure'"), 6);
  EXPECT_GE(cli.scalar("SELECT count(*) FROM login_attempt WHERE outcome = 'throttled' AND login = 'nobody-here'"), 1);
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM audit_log WHERE action = 'logout'"), 1);

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
