// `campaign notify` with the real parts: SMTP through Postfix (STARTTLS) delivering over LMTP into
// Dovecot. The agent's e-mail is read back over IMAP, its review link taken from it and opened
// with the review handler; a recipient Postfix refuses is recorded as failed without stopping
// the others.
#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "campaign/agents.hpp"
#include "campaign/launch.hpp"
#include "campaign/notify_email.hpp"
#include "campaign_test_support.hpp"
#include "harness/dovecot_server.hpp"
#include "harness/imap_test_client.hpp"
#include "harness/postfix_server.hpp"
#include "review/review_handlers.hpp"

namespace mailprune::test {
namespace {

// The raw message with this Message-ID in the user's INBOX, waiting for delivery; "" if none came.
std::string fetch_delivered(const DovecotServer& imap, const std::string& user, const std::string& password,
                            const std::string& message_id) {
  auto client = ImapTestClient::connect_plain(imap.imap_port());
  client.login(user, password);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  static const std::regex uid_of(R"(\* SEARCH (\d+))");
  static const std::regex literal(R"(\{(\d+)\}\r\n)");
  while (std::chrono::steady_clock::now() < give_up) {
    client.command("SELECT INBOX");
    auto search = client.command("UID SEARCH HEADER Message-ID " + ImapTestClient::quote(message_id));
    std::string hits = search.find("* SEARCH ");
    std::smatch match;
    if (std::regex_search(hits, match, uid_of)) {
      std::string body = client.command("UID FETCH " + match[1].str() + " BODY.PEEK[]").find("BODY[]");
      if (!std::regex_search(body, match, literal)) return "";
      return body.substr(static_cast<std::size_t>(match.position(0) + match.length(0)), std::stoul(match[1]));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return "";
}

TEST(NotifySmtp, AgentsGetTheirEmailThroughPostfixAndItsLinkOpensTheirPage) {
  DovecotOptions dovecot_options;
  dovecot_options.lmtp = true;
  DovecotServer imap(dovecot_options);
  imap.add_users({{"alice@example.org", "alice-pw"}, {"bob@example.org", "bob-pw"}});
  PostfixOptions postfix_options;
  postfix_options.lmtp_port = imap.lmtp_port();
  PostfixServer postfix(postfix_options);

  CampaignDb db;
  int alice = db.mailbox("alice@example.org", "sales", 900000000);
  int bob = db.mailbox("bob@example.org", "sales");
  int dave = db.mailbox("dave@elsewhere.test", "sales");  // Postfix relays no such domain
  campaign::import_agents(db.connection(), {{"alice@example.org", "Alice Martin", "sales", "fr"},
                                            {"bob@example.org", "Bob Durand", "sales", "en"},
                                            {"dave@elsewhere.test", "Dave", "sales", "fr"}});
  auto c = db.campaign("printemps", "2030-06-30");
  db.set_state(c.id, "proposing");
  CampaignDb::Proposal p;
  p.subject = "Budget 2021";
  p.file_name = "budget-2021.xlsx";
  db.proposal(c.id, alice, p);
  db.proposal(c.id, bob, {});
  db.proposal(c.id, dave, {});

  config::SmtpConfig smtp;
  smtp.url = "smtp://127.0.0.1:" + std::to_string(postfix.smtp_port());
  smtp.tls = config::SmtpTls::starttls;
  smtp.ca_file = postfix.ca_path();
  smtp.from = "Service informatique <dsi@example.net>";
  smtp.timeout_seconds = 20;
  campaign::EmailSettings settings;
  for (std::size_t i = 0; i < settings.review_key.size(); ++i)
    settings.review_key[i] = static_cast<std::uint8_t>(3 * i + 1);
  settings.public_url = "https://mailprune.example.org/";
  auto reader = db.connect();
  campaign::NotifyOptions options;
  options.send.rate_per_minute = 0;
  auto result = campaign::notify_campaign(db.connection(), "printemps", campaign::review_link_preparer(settings),
                                          campaign::smtp_notification_sender(*reader, smtp, settings), options);
  EXPECT_EQ(result.queued.queued, 3);
  EXPECT_EQ(result.sent.sent, 2) << postfix.log_tail();
  EXPECT_EQ(result.sent.failed, 1);  // dave: refused by Postfix (550), not retried
  EXPECT_FALSE(result.sent.stopped);
  EXPECT_EQ(result.state, "collecting");
  EXPECT_EQ(db.text("SELECT status || ':' || attempts FROM notification WHERE recipient = 'dave@elsewhere.test'"),
            "failed:1");
  auto refusal = db.text("SELECT last_error FROM notification WHERE recipient = 'dave@elsewhere.test'");
  EXPECT_NE(refusal.find("550 5.7.1 <dave@elsewhere.test>"), std::string::npos) << refusal;
  EXPECT_EQ(db.scalar("SELECT count(*) FROM notification_attempt"), 3);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM review_token"), 3);

  // Alice's e-mail, in French, through our Postfix.
  auto message_id = db.text("SELECT smtp_message_id FROM notification WHERE recipient = 'alice@example.org'");
  std::string raw = fetch_delivered(imap, "alice@example.org", "alice-pw", "<" + message_id + ">");
  ASSERT_FALSE(raw.empty()) << postfix.queue_listing() << postfix.log_tail();
  EXPECT_NE(raw.find("by mailprune-test.localdomain"), std::string::npos);
  EXPECT_NE(raw.find("X-Mailprune-Campaign: printemps"), std::string::npos) << raw;
  EXPECT_NE(raw.find("multipart/alternative"), std::string::npos);
  // The link, once quoted-printable soft line breaks are undone.
  std::string decoded = std::regex_replace(raw, std::regex("=\r\n"), "");
  std::smatch link;
  ASSERT_TRUE(
      std::regex_search(decoded, link, std::regex(R"(https://mailprune\.example\.org/review/([A-Za-z0-9_-]+))")))
      << decoded;
  EXPECT_NE(decoded.find("budget-2021.xlsx"), std::string::npos);

  review::ReviewHandlerContext context;
  context.with_connection = [url = db.url()](const std::function<void(pqxx::connection&)>& work) {
    pqxx::connection connection(url);
    work(connection);
  };
  context.key = settings.review_key;
  http::Request request;
  request.method = "GET";
  request.path = "/review/" + link[1].str();
  auto page = review::handle_review_get(context, request);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Bonjour Alice Martin,"), std::string::npos);
  EXPECT_NE(page.body.find("budget-2021.xlsx"), std::string::npos);

  // Bob's is in English.
  message_id = db.text("SELECT smtp_message_id FROM notification WHERE recipient = 'bob@example.org'");
  raw = fetch_delivered(imap, "bob@example.org", "bob-pw", "<" + message_id + ">");
  ASSERT_FALSE(raw.empty());
  EXPECT_NE(std::regex_replace(raw, std::regex("=\r\n"), "").find("Hello Bob Durand"), std::string::npos) << raw;

  // Running notify again sends nothing twice.
  result = campaign::notify_campaign(db.connection(), "printemps", campaign::review_link_preparer(settings),
                                     campaign::smtp_notification_sender(*reader, smtp, settings), options);
  EXPECT_EQ(result.sent.sent, 0);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM notification_attempt"), 3);
}

}  // namespace
}  // namespace mailprune::test
