// A whole campaign with real parts only: PostgreSQL, Dovecot loaded with generated mailboxes,
// Postfix delivering over LMTP into Dovecot, `mailprune serve`, headless Chromium.
//
// The `mailprune` binary imports the agents, creates the campaign (an opt-out detach rule, a
// target), launches it (crawl and plan) and notifies the agents through Postfix. The test reads one
// agent's e-mail over IMAP with its own client (harness ImapTestClient), takes the review link out
// of the text part, opens it in Chromium (tests/browser/review_e2e.js): first only to look (the
// database must not change), then to refuse one item and approve the others with the page's radio
// buttons and its "save my choices" button. The decisions and their audit rows are checked in
// PostgreSQL; then `mailprune nightly` carries them out, and
// tests/tools/mailbox_check.py (imaplib + email) checks that exactly the approved attachments were
// replaced by notices, archived byte for byte, and that the refused one is still in its message.
// Screenshots of the page before and after saving go to MAILPRUNE_SCREENSHOT_DIR.
#include <gtest/gtest.h>

#include <signal.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "apply_scene.hpp"
#include "browser/browser_script.hpp"
#include "harness/dovecot_server.hpp"
#include "harness/imap_test_client.hpp"
#include "harness/logged_child.hpp"
#include "harness/postfix_server.hpp"
#include "http/raw_client.hpp"

namespace mailprune::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const char* kCampaign = "printemps-e2e";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// Quoted-printable (RFC 2045 6.7) to bytes: soft line breaks removed, =XX decoded.
std::string decode_quoted_printable(const std::string& text) {
  std::string joined = std::regex_replace(text, std::regex("=\r?\n"), "");
  std::string out;
  for (std::size_t i = 0; i < joined.size(); ++i) {
    if (joined[i] == '=' && i + 2 < joined.size() && std::isxdigit(static_cast<unsigned char>(joined[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(joined[i + 2]))) {
      out += static_cast<char>(std::stoi(joined.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += joined[i];
    }
  }
  return out;
}

std::string sql_literal(const std::string& text) {
  return "'" + std::regex_replace(text, std::regex("'"), "''") + "'";
}

// The content of the first `{n}` literal of an IMAP response line.
std::string literal_of(const std::string& line) {
  static const std::regex literal(R"(\{(\d+)\}\r\n)");
  std::smatch match;
  if (!std::regex_search(line, match, literal)) return "";
  return line.substr(static_cast<std::size_t>(match.position(0) + match.length(0)), std::stoul(match[1]));
}

struct CampaignEmail {
  std::string part_header;  // section 1's MIME header
  std::string text;         // section 1, decoded
};

// The campaign's e-mail in `user`'s INBOX, read with the harness's own IMAP client; waits for
// Postfix to deliver it (empty text when nothing came).
CampaignEmail read_campaign_email(const DovecotServer& imap, const std::string& user) {
  auto client = ImapTestClient::connect_plain(imap.imap_port());
  client.login(imap.master_login(user), imap.master_password());
  static const std::regex uid_of(R"(\* SEARCH (\d+))");
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < give_up) {
    client.command("SELECT INBOX");
    auto search = client.command(std::string("UID SEARCH HEADER X-Mailprune-Campaign ") + kCampaign);
    std::string hits = search.find("* SEARCH ");
    std::smatch match;
    if (std::regex_search(hits, match, uid_of)) {
      const std::string uid = match[1].str();
      CampaignEmail email;
      email.part_header = literal_of(client.command("UID FETCH " + uid + " BODY.PEEK[1.MIME]").find("BODY[1.MIME]"));
      email.text =
          decode_quoted_printable(literal_of(client.command("UID FETCH " + uid + " BODY.PEEK[1]").find("BODY[1]")));
      return email;
    }
    std::this_thread::sleep_for(100ms);
  }
  return {};
}

// Every row of every table: equal dumps mean nothing was written.
std::string dump_all(const std::string& url) {
  pqxx::connection connection(url);
  pqxx::read_transaction tx(connection);
  std::string out;
  for (const auto& table : tx.exec("SELECT quote_ident(table_name) FROM information_schema.tables"
                                   " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1")) {
    auto name = table[0].as<std::string>();
    out += "== " + name + "\n";
    for (const auto& row : tx.exec("SELECT t::text FROM " + name + " t ORDER BY 1"))
      out += row[0].as<std::string>() + "\n";
  }
  return out;
}

platform::RunResult run_browser(const std::vector<std::string>& args) {
  return run_browser_script("review_e2e.js", args);
}

// The (folder, Message-ID, file name) of a proposal, and the part of `snapshot` it names.
const json* find_part(const json& snapshot, const std::string& mailbox, const std::string& folder,
                      const std::string& message_id, const std::string& file_name) {
  if (!snapshot.contains(mailbox) || !snapshot[mailbox].contains(folder)) return nullptr;
  for (const auto& message : snapshot[mailbox][folder]) {
    if (message["message_id"] != message_id) continue;
    for (const auto& part : message["parts"]) {
      if (part["filename"] == file_name) return &part;
    }
  }
  return nullptr;
}

TEST(CampaignEndToEnd, NotifiedAgentDecidesInChromiumAndTheNightlyRunAppliesExactlyThat) {
  const auto started = std::chrono::steady_clock::now();
  TempDir work("e2e");
  auto set = generate_sample_mail(work / "mail", {.users = 2, .messages = 12, .seed = 3, .size_scale = 0.05});
  DovecotOptions dovecot_options;
  dovecot_options.lmtp = true;
  DovecotServer imap(dovecot_options);
  imap.load(set);
  PostfixOptions postfix_options;
  postfix_options.lmtp_port = imap.lmtp_port();
  PostfixServer postfix(postfix_options);

  const std::uint16_t http_port = free_port();
  const std::string public_url = "http://127.0.0.1:" + std::to_string(http_port);
  const std::string settings =
      "[archive]\npublic_url = \"" + public_url + "\"\n\n[server]\nlisten = [\"127.0.0.1:" + std::to_string(http_port) +
      "\"]\n\n[smtp]\nurl = \"smtp://127.0.0.1:" + std::to_string(postfix.smtp_port()) +
      "\"\ntls = \"starttls\"\nca_file = " + toml_string(postfix.ca_path()) +
      "\nfrom = \"Service informatique <dsi@example.net>\"\nrate_per_minute = 0\ntimeout_seconds = 20\n\n"
      "[[rule]]\nname = \"grosses-pieces-jointes\"\naction = \"detach\"\napproval = \"opt-out\"\n"
      "min_attachment_size = \"5kB\"\n";
  ApplyScene scene(dovecot_source(imap, set.users), settings, dovecot_check(imap));
  auto& cli = scene.cli();
  // `mailprune ARGS...`; the output is shown when it fails.
  auto run = [&](const std::vector<std::string>& args) {
    auto result = scene.run(args);
    if (result.exit_code != 0) {
      std::string command = "mailprune";
      for (const auto& a : args) command += " " + a;
      ADD_FAILURE() << command << ": exit " << result.exit_code << "\n" << result.output;
    }
    return result;
  };

  // The review server, on the port the links will point at: started first, so that the port
  // free_port() found is taken at once.
  test::LoggedChild serve(work / "serve.log",
                          {MAILPRUNE_BINARY, "--config", cli.config_path(), "--log-format", "text", "serve"},
                          {"MAILPRUNE_TEST_DB_PASSWORD=" + PostgresServer::shared().password(),
                           "MAILPRUNE_TEST_SOURCE_PASSWORD_0=" + imap.master_password()});
  ASSERT_NE(serve.wait_for_port(), 0) << serve.log();

  // Agents from the generated CSV, a campaign with a target, crawl and plan.
  ASSERT_EQ(run({"agents", "import", set.dir + "/agents.csv"}).exit_code, 0);
  ASSERT_EQ(run({"campaign", "create", kCampaign, "--target", "1MB", "--deadline", "2099-12-31"}).exit_code, 0);
  ASSERT_EQ(run({"campaign", "launch", kCampaign}).exit_code, 0);

  // The agent under test: the one with the most proposals (at least two, so one can be refused).
  auto picked = cli.strings(
      "SELECT m.address FROM proposal p JOIN mailbox m ON m.id = p.mailbox_id JOIN campaign c ON c.id = "
      "p.campaign_id WHERE c.name = '" +
      std::string(kCampaign) + "' AND p.selected GROUP BY m.address ORDER BY count(*) DESC, m.address LIMIT 1");
  ASSERT_EQ(picked.size(), 1u);
  const std::string agent = picked[0];
  const std::string agent_proposals =
      "FROM proposal p JOIN mailbox m ON m.id = p.mailbox_id JOIN campaign c ON "
      "c.id = p.campaign_id WHERE c.name = '" +
      std::string(kCampaign) + "' AND m.address = '" + agent + "' AND p.selected";
  const auto proposed = cli.scalar("SELECT count(*) " + agent_proposals);
  ASSERT_GE(proposed, 2) << agent;
  ASSERT_EQ(cli.scalar("SELECT count(*) " + agent_proposals + " AND p.decision <> 'pending'"), 0);

  // Notify: one e-mail per agent, through Postfix into Dovecot.
  auto notified = run({"campaign", "notify", kCampaign});
  ASSERT_EQ(notified.exit_code, 0) << postfix.log_tail();
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM notification WHERE status = 'sent'"),
            static_cast<std::int64_t>(set.users.size()));

  CampaignEmail email = read_campaign_email(imap, agent);
  ASSERT_FALSE(email.text.empty()) << postfix.queue_listing() << postfix.log_tail();
  EXPECT_NE(email.part_header.find("text/plain"), std::string::npos) << email.part_header;
  std::smatch link;
  ASSERT_TRUE(std::regex_search(
      email.text, link,
      std::regex("(" + std::regex_replace(public_url, std::regex(R"([.])"), R"(\.)") + "/review/[A-Za-z0-9_-]+)")))
      << email.text;
  const std::string review_url = link[1].str();

  // Every mailbox as it is now (the campaign e-mails included), for the comparison after the run.
  const std::string before = scene.snapshot("before");

  // Looking at the page changes nothing: a plain GET, and Chromium loading it.
  const std::string untouched = dump_all(cli.url());
  auto raw_get =
      mailprune::testing::fetch(http_port, mailprune::testing::get_request(review_url.substr(public_url.size())));
  EXPECT_EQ(raw_get.status, 200) << raw_get.body;
  auto viewed = run_browser({"view", review_url, "review-e2e-view"});
  ASSERT_EQ(viewed.exit_code, 0) << viewed.output << serve.log();
  json view = browser_result(viewed, "review_e2e.js");
  EXPECT_EQ(view["items"].size(), static_cast<std::size_t>(proposed)) << view.dump();
  EXPECT_EQ(dump_all(cli.url()), untouched) << "a GET of the review page changed the database";

  // Refuse the second item, approve the rest, save.
  auto decided = run_browser({"decide", review_url, "review-e2e-before", "review-e2e-after", "1"});
  ASSERT_EQ(decided.exit_code, 0) << decided.output << serve.log();
  json decision = browser_result(decided, "review_e2e.js");
  ASSERT_TRUE(decision.contains("refused")) << decision.dump();
  EXPECT_EQ(decision["status"], 200);
  // "Vos choix sont enregistrés (5 éléments)." / "Your choices are saved (5 items)."
  EXPECT_TRUE(std::regex_search(decision.value("confirmation", ""),
                                std::regex("(enregistrés|saved) \\(" + std::to_string(proposed) + " ")))
      << decision.dump();
  EXPECT_TRUE(std::filesystem::exists(screenshot_dir() + "/review-e2e-before.png"));
  EXPECT_TRUE(std::filesystem::exists(screenshot_dir() + "/review-e2e-after.png"));

  // The database: one refused, the rest approved, each with an audit row (address, browser).
  const std::string refused_id = decision["refused"].get<std::string>().substr(1);
  EXPECT_EQ(cli.strings("SELECT p.decision " + agent_proposals + " AND p.id = " + refused_id),
            std::vector<std::string>{"refused"});
  EXPECT_EQ(cli.scalar("SELECT count(*) " + agent_proposals + " AND p.decision = 'approved'"), proposed - 1);
  EXPECT_EQ(cli.scalar("SELECT count(*) " + agent_proposals + " AND p.decided_at IS NULL"), 0);
  std::set<std::string> approved_ids;
  for (const auto& name : decision["approved"]) approved_ids.insert(name.get<std::string>().substr(1));
  auto approved_rows = cli.strings("SELECT p.id::text " + agent_proposals + " AND p.decision = 'approved'");
  EXPECT_EQ(std::set<std::string>(approved_rows.begin(), approved_rows.end()), approved_ids);
  EXPECT_EQ(
      cli.scalar("SELECT count(*) FROM decision_audit a JOIN campaign c ON c.id = a.campaign_id WHERE c.name = '" +
                 std::string(kCampaign) + "'"),
      proposed);
  const std::string user_agent = decision.value("userAgent", "");
  EXPECT_NE(user_agent.find("Chrome"), std::string::npos) << user_agent;
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM decision_audit WHERE origin = 'review' AND ip = '127.0.0.1' AND "
                       "user_agent = " +
                       sql_literal(user_agent) + " AND previous_decision = 'pending' AND decision <> 'pending'"),
            proposed);
  // Nobody else decided anything.
  EXPECT_EQ(cli.scalar("SELECT count(*) FROM proposal p JOIN mailbox m ON m.id = p.mailbox_id WHERE m.address <> '" +
                       agent + "' AND p.decision <> 'pending'"),
            0);

  // The refused attachment, to find it again after the run.
  auto refused_row = cli.strings("SELECT p.folder_name || '\n' || p.internet_message_id || '\n' || p.attachment_name " +
                                 agent_proposals + " AND p.id = " + refused_id);
  ASSERT_EQ(refused_row.size(), 1u);
  std::vector<std::string> refused_fields;
  std::stringstream fields(refused_row[0]);
  for (std::string field; std::getline(fields, field, '\n');) refused_fields.push_back(field);
  ASSERT_EQ(refused_fields.size(), 3u) << refused_row[0];

  // The nightly run carries out what was approved (the deadline is far: nothing else is approved).
  auto nightly = run({"nightly", "--campaign", kCampaign});
  ASSERT_EQ(nightly.exit_code, 0) << nightly.output;
  EXPECT_NE(nightly.output.find(std::string(kCampaign) + ": apply ok"), std::string::npos) << nightly.output;

  // Exactly the approved attachments are gone (notices in their place, archived byte for byte);
  // every other message and part is as it was, the refused attachment included.
  const std::string after = scene.snapshot("after");
  const json expect = scene.expected(kCampaign);
  EXPECT_EQ(expect["detached"].size(), approved_ids.size()) << expect.dump(1);
  EXPECT_EQ(expect["moved"].size(), 0u);
  json report = scene.compare(before, after, expect);
  EXPECT_TRUE(report.value("ok", false)) << report.dump(1);
  EXPECT_EQ(report["counts"]["detached_parts"], approved_ids.size()) << report.dump(1);
  EXPECT_EQ(report["counts"]["archived_checked"], approved_ids.size()) << report.dump(1);

  json before_json = json::parse(read_text(before));
  json after_json = json::parse(read_text(after));
  const json* kept_before = find_part(before_json, agent, refused_fields[0], refused_fields[1], refused_fields[2]);
  const json* kept_after = find_part(after_json, agent, refused_fields[0], refused_fields[1], refused_fields[2]);
  ASSERT_NE(kept_before, nullptr) << refused_row[0];
  ASSERT_NE(kept_after, nullptr) << "the refused attachment is gone: " << refused_row[0];
  EXPECT_EQ((*kept_after)["sha256"], (*kept_before)["sha256"]);
  EXPECT_GT((*kept_after)["size"].get<std::int64_t>(), 5000);

  EXPECT_EQ(cli.scalar("SELECT count(*) FROM action WHERE step = 'done'"),
            cli.scalar("SELECT count(DISTINCT message_row_id) " + agent_proposals + " AND p.decision = 'approved'"));

  auto shown = run({"campaign", "show", kCampaign});
  EXPECT_NE(shown.output.find("target"), std::string::npos) << shown.output;
  std::cerr << "end to end in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()
            << " ms\n";
}

}  // namespace
}  // namespace mailprune::test
