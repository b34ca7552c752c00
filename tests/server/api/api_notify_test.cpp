// The notify job's success path through the API, with real parts only: an inventory of two
// agents' mailboxes is planned by a launch job, then POST /campaigns/{id}/notify queues a job that
// sends one review e-mail per agent through a private Postfix on loopback, which delivers into a
// Dovecot over LMTP; the test reads each agent's INBOX back over IMAP. Postfix's master must start
// as root: without root the test is skipped.
#include <unistd.h>

#include <cctype>
#include <regex>
#include <thread>

#include "api_test_support.hpp"
#include "harness/dovecot_server.hpp"
#include "harness/imap_test_client.hpp"
#include "harness/postfix_server.hpp"

namespace mailprune::api {
namespace {

using namespace std::chrono_literals;
using namespace test_support;
using mailprune::test::DovecotOptions;
using mailprune::test::DovecotServer;
using mailprune::test::ImapTestClient;
using mailprune::test::PostfixOptions;
using mailprune::test::PostfixServer;

// Two messages of `mailbox_id`'s INBOX, each with a 2 MB PDF: two proposals of the fixture's
// "large-attachments" rule.
void seed_messages(pqxx::connection& connection, int mailbox_id) {
  pqxx::work tx(connection);
  tx.exec_params0(
      "UPDATE mailbox SET last_crawled_at = now(), folder_count = 1, message_count = 2, message_bytes = 4200000,"
      " attachment_count = 2, attachment_bytes = 4000000 WHERE id = $1",
      mailbox_id);
  int folder = tx.exec_params1(
                     "INSERT INTO folder (mailbox_id, name, server_name, uidvalidity, message_count, message_bytes)"
                     " VALUES ($1, 'INBOX', 'INBOX', 3, 2, 4200000) RETURNING id",
                     mailbox_id)[0]
                   .as<int>();
  for (int uid = 1; uid <= 2; ++uid) {
    auto message = tx.exec_params1(
                         "INSERT INTO message (folder_id, mailbox_id, uid, size, internal_date, from_address, subject,"
                         " change_key) VALUES ($1, $2, $3, 2100000, now() - interval '300 days', 'carol@example.org',"
                         " 'slides', '1') RETURNING id",
                         folder, mailbox_id, uid)[0]
                       .as<std::int64_t>();
    tx.exec_params0(
        "INSERT INTO attachment (message_id, mailbox_id, section, name, content_type, size, size_exact, sha256)"
        " VALUES ($1, $2, '2', 'slides.pdf', 'application/pdf', 2000000, true, sha256($3::bytea))",
        message, mailbox_id, "pdf " + std::to_string(mailbox_id) + "-" + std::to_string(uid));
  }
  tx.commit();
}

// The raw messages of `user`'s INBOX whose X-Mailprune-Campaign header contains `campaign`, once
// at least `count` are there (waits up to 20 s; fewer when they never arrive).
std::vector<std::string> campaign_mail(const DovecotServer& imap, const std::string& user, const std::string& campaign,
                                       std::size_t count) {
  auto client = ImapTestClient::connect_plain(imap.imap_port());
  client.login(imap.master_login(user), imap.master_password());
  static const std::regex number(R"( (\d+))");
  static const std::regex literal(R"(\{(\d+)\}\r\n)");
  std::vector<std::string> uids;
  const auto give_up = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < give_up) {
    EXPECT_TRUE(client.command("SELECT INBOX").ok());
    const std::string hits =
        client.command("UID SEARCH HEADER X-Mailprune-Campaign " + ImapTestClient::quote(campaign)).find("* SEARCH");
    uids.clear();
    for (auto it = std::sregex_iterator(hits.begin(), hits.end(), number); it != std::sregex_iterator(); ++it) {
      uids.push_back((*it)[1].str());
    }
    if (uids.size() >= count) break;
    std::this_thread::sleep_for(100ms);
  }
  std::vector<std::string> raws;
  for (const auto& uid : uids) {
    const std::string line = client.command("UID FETCH " + uid + " BODY.PEEK[]").find("BODY[]");
    std::smatch match;
    if (!std::regex_search(line, match, literal)) continue;
    raws.push_back(
        line.substr(static_cast<std::size_t>(match.position(0) + match.length(0)), std::stoul(match[1].str())));
  }
  return raws;
}

// The header block's Subject line (unfolded), or "".
std::string subject_of(const std::string& raw) {
  const std::string headers = raw.substr(0, raw.find("\r\n\r\n"));
  static const std::regex subject(R"((^|\r\n)Subject:([^\r]*(\r\n[ \t][^\r]*)*))", std::regex::icase);
  std::smatch match;
  if (!std::regex_search(headers, match, subject)) return "";
  return std::regex_replace(match[2].str(), std::regex(R"(\r\n)"), "");
}

// `header` with its RFC 2047 encoded words in UTF-8 Q encoding decoded (the white space between
// two adjacent encoded words dropped); other text left as it is.
std::string decode_words(const std::string& header) {
  static const std::regex word(R"(=\?UTF-8\?Q\?([^?]*)\?=)", std::regex::icase);
  std::string out;
  std::size_t at = 0;
  bool after_word = false;
  for (auto it = std::sregex_iterator(header.begin(), header.end(), word); it != std::sregex_iterator(); ++it) {
    std::string between = header.substr(at, static_cast<std::size_t>(it->position(0)) - at);
    if (!(after_word && between.find_first_not_of(" \t") == std::string::npos)) out += between;
    const std::string text = (*it)[1].str();
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '_') {
        out += ' ';
      } else if (text[i] == '=' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
        out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        out += text[i];
      }
    }
    at = static_cast<std::size_t>(it->position(0) + it->length(0));
    after_word = true;
  }
  return out + header.substr(at);
}

// `raw` with quoted-printable soft line breaks removed (the review link may be split by them).
std::string without_soft_breaks(const std::string& raw) {
  std::string out = raw;
  for (auto at = out.find("=\r\n"); at != std::string::npos; at = out.find("=\r\n", at)) out.erase(at, 3);
  return out;
}

class ApiNotifyTest : public ApiTest {};

TEST_F(ApiNotifyTest, NotifyJobMailsEveryAgentThroughPostfixIntoDovecot) {
  if (::geteuid() != 0) GTEST_SKIP() << "Postfix's master must start as root";
  DovecotOptions dovecot_options;
  dovecot_options.lmtp = true;
  DovecotServer imap(dovecot_options);
  PostfixOptions postfix_options;
  postfix_options.lmtp_port = imap.lmtp_port();
  postfix_options.domains = {"example.org"};
  PostfixServer postfix(postfix_options);
  const std::vector<std::string> agents = {"anna@example.org", "bruno@example.org"};
  imap.add_users({{agents[0], "password"}, {agents[1], "password"}});

  config_.smtp.url = "smtp://127.0.0.1:" + std::to_string(postfix.smtp_port());
  config_.smtp.tls = config::SmtpTls::starttls;
  config_.smtp.ca_file = postfix.ca_path();
  config_.smtp.from = "DSI <dsi@example.net>";
  config_.smtp.rate_per_minute = 0;
  config_.smtp.timeout_seconds = 10;

  {
    std::lock_guard lock(connection_mutex_);
    pqxx::work tx(*connection_);
    tx.exec0("DELETE FROM hold");  // the fixture's hold keeps anna's mailbox out of any plan
    const int bruno = tx.exec1(
                            "INSERT INTO mailbox (source_id, address) SELECT id, 'bruno@example.org' FROM source "
                            "RETURNING id")[0]
                          .as<int>();
    tx.commit();
    seed_messages(*connection_, mailbox_id_);
    seed_messages(*connection_, bruno);
  }

  // Plan on the inventory as it is: proposing, with selected proposals for both agents.
  Call launch{"POST", "/api/v1/campaigns/{id}/launch", "/api/v1/campaigns/{campaign}/launch", kJson,
              R"({"crawl":false})"};
  expect(launch, as_token(launch, admin_token_), 202);
  ASSERT_TRUE(runner_->wait_idle(30s));
  ASSERT_EQ(count("SELECT count(*) FROM campaign WHERE state = 'proposing'"), 1);
  ASSERT_EQ(count("SELECT count(DISTINCT mailbox_id) FROM proposal WHERE selected"), 2);

  // A viewer may not notify; the admin's call queues the job.
  Call notify{"POST", "/api/v1/campaigns/{id}/notify", "/api/v1/campaigns/{campaign}/notify", kJson, "{}"};
  expect(notify, as_token(notify, viewer_token_), 403);
  EXPECT_EQ(count("SELECT count(*) FROM api_job WHERE kind = 'notify'"), 0);
  auto queued = as_token(notify, admin_token_);
  expect(notify, queued, 202);
  auto job = nlohmann::json::parse(queued.body);
  EXPECT_EQ(job["kind"], "notify");
  EXPECT_EQ(queued.headers.get("Location").value_or(""), job["url"]);
  ASSERT_TRUE(runner_->wait_idle(30s));

  auto finished = job_of(queued);
  ASSERT_EQ(finished["state"], "done") << finished.dump() << "\n" << postfix.log_tail();
  const auto& result = finished["result"];
  EXPECT_EQ(result["state"], "collecting") << finished.dump();
  EXPECT_EQ(result["queued"], 2) << finished.dump();
  EXPECT_EQ(result["already_queued"], 0) << finished.dump();
  EXPECT_EQ(result["round"], 0) << finished.dump();
  EXPECT_EQ(result["sent"], 2) << finished.dump();
  EXPECT_EQ(result["retry_later"], 0) << finished.dump();
  EXPECT_EQ(result["failed"], 0) << finished.dump();
  EXPECT_EQ(result["still_pending"], 0) << finished.dump();
  EXPECT_EQ(finished["progress"]["done"], 2) << finished.dump();

  auto detail =
      nlohmann::json::parse(as_token({"GET", "", "/api/v1/campaigns/{campaign}", "", ""}, viewer_token_).body);
  EXPECT_EQ(detail["campaign"]["state"], "collecting");
  EXPECT_EQ(count("SELECT count(*) FROM campaign WHERE state = 'collecting'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM notification WHERE kind = 'review' AND status = 'sent'"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM notification WHERE status <> 'sent'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'campaign.notify' AND actor = 'alice' AND "
                  "object_type = 'campaign' AND object_id = '" +
                  std::to_string(campaign_id_) + "'"),
            1);

  for (const auto& agent : agents) {
    const auto mail = campaign_mail(imap, agent, "spring", 1);
    ASSERT_EQ(mail.size(), 1u) << agent << "\n" << postfix.queue_listing() << "\n" << postfix.log_tail();
    // The subject names the campaign and the approval deadline (French, the default language) and
    // how many proposals the agent has.
    const std::string subject = decode_words(subject_of(mail[0]));
    EXPECT_NE(subject.find("spring"), std::string::npos) << subject;
    EXPECT_NE(subject.find("31 janvier 2030"), std::string::npos) << subject;
    EXPECT_NE(subject.find("2\xC2\xA0"), std::string::npos) << subject;  // this agent's 2 proposals
    const std::string body = without_soft_breaks(mail[0]);
    EXPECT_NE(body.find(config_.archive.public_url + "/review/"), std::string::npos) << body;
    const std::string headers = mail[0].substr(0, mail[0].find("\r\n\r\n"));
    EXPECT_NE(headers.find(agent), std::string::npos) << headers;  // addressed to this agent
    EXPECT_EQ(headers.find(agent == agents[0] ? agents[1] : agents[0]), std::string::npos) << headers;
  }
}

}  // namespace
}  // namespace mailprune::api
