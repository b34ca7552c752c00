// The live progress page as people see it: `mailprune campaign progress-page` sets the access,
// `mailprune serve` serves it, headless Chromium (tests/browser/progress_live.js) opens it, sees
// the chart, and sees it move without reload when the campaign's journal changes the way apply
// changes it. Screenshots (French, French after the update, English) go to
// MAILPRUNE_SCREENSHOT_DIR.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "campaign/campaign_test_support.hpp"
#include "harness/logged_child.hpp"
#include "harness/temp_dir.hpp"
#include "http/raw_client.hpp"
#include "platform/process.hpp"

namespace mailprune::testing {
namespace {

using namespace std::chrono_literals;
constexpr std::int64_t MB = 1000 * 1000;

// A child process whose output goes to a file, killed by PID when the test ends.
using Child = test::LoggedChild;

TEST(ProgressLive, ChromiumSeesThePageUpdateWithoutReload) {
  test::CampaignDb db;
  const int campaign_id = db.campaign("grand-menage", "", 40 * MB).id;
  const int voirie = db.mailbox("amelie.secret@example.org", "Voirie");
  const int culture = db.mailbox("bruno.prive@example.org", "Culture");
  db.exec(
      "INSERT INTO agent (address, display_name, team_id) VALUES ('amelie.secret@example.org',"
      " 'Amélie Dupont-Secret', (SELECT id FROM team WHERE name = 'Voirie'))");
  test::CampaignDb::Proposal p;
  p.decision = "approved";
  p.subject = "Dossier médical confidentiel";
  p.file_name = "bulletin-de-salaire.pdf";
  std::vector<std::int64_t> proposals;
  for (int i = 0; i < 3; ++i) proposals.push_back(db.proposal(campaign_id, voirie, p));
  p.bytes = 5 * MB;
  for (int i = 0; i < 2; ++i) proposals.push_back(db.proposal(campaign_id, culture, p));
  auto apply_done = [&](std::int64_t proposal, int mailbox, std::int64_t bytes, int minutes_ago) {
    db.exec(
        fmt::format("WITH a AS (INSERT INTO action (campaign_id, kind, mailbox_id, folder_name, uidvalidity, uid, step,"
                    " bytes_estimated, done_at) VALUES ({0}, 'detach', {1}, 'INBOX', 1, {2}, 'done', {3},"
                    " now() - interval '{4} minutes') RETURNING id)"
                    " INSERT INTO action_proposal (proposal_id, action_id) SELECT {2}, id FROM a",
                    campaign_id, mailbox, proposal, bytes, minutes_ago));
  };
  apply_done(proposals[0], voirie, 2 * MB, 90);
  apply_done(proposals[1], voirie, 2 * MB, 45);
  db.set_state(campaign_id, "applying");

  test::TempDir dir("progress-live");
  const auto& postgres = test::PostgresServer::shared();
  const std::string database = db.url().substr(db.url().rfind('/') + 1);
  const std::string config = dir / "mailprune.toml";
  std::ofstream(config) << "data_dir = \"" << (dir / "data") << "\"\n"
                        << "[database]\nurl = \"postgresql://" << postgres.superuser()
                        << "@127.0.0.1:" << postgres.port() << "/" << database
                        << "\"\npassword_env = \"MP_PROGRESS_TEST_PASSWORD\"\n"
                        << "[server]\nlisten = [\"127.0.0.1:0\"]\nshutdown_timeout_seconds = 2\n"
                        << "[archive]\npublic_url = \"https://intranet.example.org/mailprune\"\n"
                        << "[progress]\nrefresh_seconds = 1\nframe_ancestors = [\"'self'\"]\n";
  const std::vector<std::string> env = {"MP_PROGRESS_TEST_PASSWORD=" + postgres.password()};
  auto cli = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{MAILPRUNE_BINARY, "--config", config};
    argv.insert(argv.end(), args.begin(), args.end());
    return platform::run(argv, std::nullopt, env);
  };

  // The command line: off by default, one mode at a time, URLs from [archive] public_url.
  auto shown = cli({"campaign", "progress-page", "grand-menage"});
  EXPECT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_NE(shown.output.find("progress page off"), std::string::npos) << shown.output;
  EXPECT_EQ(cli({"campaign", "progress-page", "grand-menage", "--public", "--off"}).exit_code, 2);
  EXPECT_EQ(cli({"campaign", "progress-page", "nope", "--public"}).exit_code, 2);
  auto help = cli({"campaign", "progress-page", "--help"});
  EXPECT_NE(help.output.find("--link"), std::string::npos) << help.output;
  auto published = cli({"campaign", "progress-page", "grand-menage", "--public"});
  EXPECT_NE(published.output.find("https://intranet.example.org/mailprune/progress/grand-menage"), std::string::npos)
      << published.output;
  auto linked = cli({"campaign", "progress-page", "grand-menage", "--link"});
  ASSERT_EQ(linked.exit_code, 0) << linked.output;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(linked.output, match, std::regex("/progress/([A-Za-z0-9_-]{43})\\n"))) << linked.output;
  const std::string token = match[1].str();

  Child serve(dir / "serve.log", {MAILPRUNE_BINARY, "--config", config, "--log-format", "text", "serve"}, env);
  const std::string port_text = serve.wait_for("listening on http://127\\.0\\.0\\.1:([0-9]+)", 90s);
  ASSERT_FALSE(port_text.empty()) << serve.log();
  const auto port = static_cast<std::uint16_t>(std::stoi(port_text));

  auto by_name = fetch(port, get_request("/progress/grand-menage"));
  EXPECT_EQ(by_name.status, 404) << "link mode: the name opens nothing";
  auto page = fetch(port, get_request("/progress/" + token));
  EXPECT_EQ(page.status, 200) << serve.log();
  EXPECT_EQ(page.header("x-frame-options"), "SAMEORIGIN");
  EXPECT_NE(page.header("content-security-policy").find("frame-ancestors 'self'"), std::string::npos);
  EXPECT_EQ(fetch(port, get_request("/assets/uPlot.LICENSE")).status, 200);
  EXPECT_EQ(serve.log().find(token), std::string::npos) << "the access log never shows the token";

  const std::string url = fmt::format("http://127.0.0.1:{}/progress/{}", port, token);
  const char* screenshots = std::getenv("MAILPRUNE_SCREENSHOT_DIR");
  Child browser(dir / "browser.log", {"node", std::string(MAILPRUNE_BROWSER_DIR) + "/progress_live.js"},
                {"PROGRESS_URL=" + url,
                 "PROGRESS_FORBIDDEN=amelie|Amélie|Dupont|bruno|@example.org|Dossier médical|bulletin-de-salaire",
                 std::string("MAILPRUNE_SCREENSHOT_DIR=") + (screenshots ? screenshots : MAILPRUNE_SCREENSHOT_DIR)});
  const std::string before = browser.wait_for("READY ([^\\n]+)\\n", 90s);
  ASSERT_FALSE(before.empty()) << browser.log() << serve.log();
  // What apply does when it finishes an action: the action done, with its time (and the run's
  // measurement of the mailbox).
  apply_done(proposals[3], culture, 5 * MB, 0);
  db.exec(
      fmt::format("WITH r AS (INSERT INTO apply_run (campaign_id, status) VALUES ({}, 'running') RETURNING id)"
                  " INSERT INTO apply_measure (apply_run_id, mailbox_id, bytes_before, bytes_after) SELECT id, {}, "
                  "20000000, 11000000 FROM r",
                  campaign_id, culture));
  const std::string after = browser.wait_for("UPDATED ([^\\n]+)\\n", 60s);
  EXPECT_FALSE(after.empty()) << browser.log();
  EXPECT_NE(after, before);
  auto status = browser.process().wait_for(60s);
  ASSERT_TRUE(status.has_value()) << browser.log();
  EXPECT_EQ(*status, 0) << browser.log();

  ASSERT_EQ(::kill(serve.process().pid(), SIGTERM), 0);
  auto stopped = serve.process().wait_for(30s);
  ASSERT_TRUE(stopped.has_value()) << serve.log();
  EXPECT_EQ(*stopped, 0) << serve.log();
}

}  // namespace
}  // namespace mailprune::testing
