// Real parts only: a private Postfix on loopback relays to a Dovecot over LMTP; mailprune renders
// an agent's notification, builds the message and sends it with SmtpSender (STARTTLS verified
// against the test CA, or implicit TLS); the test reads it back over IMAP and checks it with
// Python's email package: subject decoded, both alternatives there, the review link intact
// (quoted-printable soft breaks undone). And what real refusals become.
#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "harness/dovecot_server.hpp"
#include "harness/imap_test_client.hpp"
#include "harness/postfix_server.hpp"
#include "harness/temp_dir.hpp"
#include "notify/email_message.hpp"
#include "notify/notification.hpp"
#include "notify/smtp_sender.hpp"
#include "python_email.hpp"

namespace mailprune::notify {
namespace {

using mailprune::test::DovecotOptions;
using mailprune::test::DovecotServer;
using mailprune::test::ImapTestClient;
using mailprune::test::PostfixOptions;
using mailprune::test::PostfixServer;

class NotifyIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    DovecotOptions options;
    options.lmtp = true;
    dovecot_ = new DovecotServer(options);
    PostfixOptions postfix_options;
    postfix_options.lmtp_port = dovecot_->lmtp_port();
    postfix_options.domains = {"example.org"};
    postfix_ = new PostfixServer(postfix_options);
  }
  static void TearDownTestSuite() {
    delete postfix_;
    delete dovecot_;
    postfix_ = nullptr;
    dovecot_ = nullptr;
  }

  // A fresh agent mailbox for this test.
  std::string new_agent() {
    const std::string address = mailprune::test::make_name("agent") + "@example.org";
    dovecot_->add_user(address, "password");
    return address;
  }

  config::SmtpConfig starttls_config() const {
    config::SmtpConfig c;
    c.url = "smtp://127.0.0.1:" + std::to_string(postfix_->smtp_port());
    c.tls = config::SmtpTls::starttls;
    c.ca_file = postfix_->ca_path();
    c.from = "Direction du numérique <dsi@departement.example>";
    c.reply_to = "Support DSI <support@departement.example>";
    c.timeout_seconds = 10;
    return c;
  }

  // The raw message with `message_id` in the agent's INBOX (waits up to 20 s); "" if absent.
  static std::string fetch(const std::string& agent, const std::string& message_id) {
    auto client = ImapTestClient::connect_plain(dovecot_->imap_port());
    client.login(agent, "password");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    static const std::regex uid(R"(^\* SEARCH (\d+))");
    static const std::regex literal(R"(\{(\d+)\}\r\n)");
    while (std::chrono::steady_clock::now() < deadline) {
      EXPECT_TRUE(client.command("SELECT INBOX").ok());
      const std::string hits =
          client.command("UID SEARCH HEADER Message-ID " + ImapTestClient::quote(message_id)).find("* SEARCH ");
      std::smatch match;
      if (std::regex_search(hits, match, uid)) {
        const std::string line = client.command("UID FETCH " + match[1].str() + " BODY.PEEK[]").find("BODY[]");
        if (!std::regex_search(line, match, literal)) return "";
        return line.substr(static_cast<std::size_t>(match.position(0) + match.length(0)), std::stoul(match[1]));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "";
  }

  static NotificationData notification_for(const std::string& review_url) {
    NotificationData d;
    d.agent_name = "Élodie Dupré";
    d.campaign_name = "Grand ménage 2026";
    d.mailbox_bytes = 3'200'000'000;
    d.proposed_count = 3;
    d.proposed_bytes = 90'000'000;
    ProposalGroup g;
    g.action = ProposalAction::detach;
    g.approval = ApprovalMode::opt_out;
    g.count = 3;
    g.bytes = 90'000'000;
    d.groups = {g};
    ProposedItem item;
    item.date = CalendarDate{2024, 3, 12};
    item.sender = "Jean Dupont <jean.dupont@example.org>";
    item.subject = "Présentation <finale> & annexes";
    item.file_name = "présentation-finale.pptx";
    item.bytes = 60'000'000;
    d.largest_items = {item};
    d.deadline = {2026, 12, 12};
    d.review_url = review_url;
    return d;
  }

  static DovecotServer* dovecot_;
  static PostfixServer* postfix_;
};

DovecotServer* NotifyIntegrationTest::dovecot_ = nullptr;
PostfixServer* NotifyIntegrationTest::postfix_ = nullptr;

TEST_F(NotifyIntegrationTest, NotificationArrivesIntactOverStartTls) {
  const std::string agent = new_agent();
  // Long (several QP lines), with '=' and '&' that quoted-printable and HTML both encode.
  const std::string url =
      "https://mailprune.departement.example/review/"
      "eyJjYW1wYWlnbiI6MTIsImFnZW50Ijo0MiwiZXhwIjoxNzk3MDY3ODAwfQ.aGVsbG8td29ybGQtc2lnbmF0dXJlLWhtYWM?lang=fr&v=1";
  const RenderedEmail rendered = render_notification(notification_for(url), Language::fr);
  SmtpSender sender(starttls_config());
  EmailMessage email;
  email.from = sender.from();
  email.reply_to = sender.reply_to();
  email.to = {{"Élodie Dupré", agent}};
  email.subject = rendered.subject;
  email.text = rendered.text;
  email.html = rendered.html;
  email.date = std::time(nullptr);
  email.message_id = make_message_id("departement.example");

  const SendResult result = sender.send({agent}, build_message(email));
  ASSERT_TRUE(result.ok()) << result.error << "\n" << result.reply << "\n" << postfix_->log_tail();
  EXPECT_EQ(result.smtp_code, 250);
  EXPECT_NE(result.reply.find("queued as"), std::string::npos) << result.reply;

  const std::string raw = fetch(agent, "<" + email.message_id + ">");
  ASSERT_FALSE(raw.empty()) << "not delivered; queue:\n" << postfix_->queue_listing() << "\n" << postfix_->log_tail();
  // It went through our Postfix, over TLS.
  EXPECT_NE(raw.find("by mailprune-test.localdomain"), std::string::npos) << raw.substr(0, 1500);
  EXPECT_NE(raw.find("ESMTPS"), std::string::npos) << raw.substr(0, 1500);
  EXPECT_NE(postfix_->log_tail(20000).find("TLS connection established from"), std::string::npos);

  const auto parsed = test::read_with_python(raw);
  EXPECT_TRUE(parsed.at("defects").empty()) << parsed.at("defects").dump();
  EXPECT_EQ(test::header_of(parsed, "Subject"), rendered.subject);
  EXPECT_EQ(parsed.at("from").at(0).at(0), "Direction du numérique");
  EXPECT_EQ(parsed.at("to").at(0).at(0), "Élodie Dupré");
  EXPECT_EQ(parsed.at("reply_to").at(0).at(1), "support@departement.example");
  EXPECT_EQ(test::header_of(parsed, "Auto-Submitted"), "auto-generated");
  const std::string text = test::part_of(parsed, "text/plain");
  const std::string html = test::part_of(parsed, "text/html");
  EXPECT_EQ(text, rendered.text);
  EXPECT_EQ(html, rendered.html);
  EXPECT_NE(text.find("\n" + url + "\n"), std::string::npos) << text;
  EXPECT_NE(html.find("href=\"" + html_escape(url) + "\""), std::string::npos) << html;
  EXPECT_NE(html.find("Présentation &lt;finale&gt; &amp; annexes"), std::string::npos) << html;
  // In the raw message the link is split by soft breaks: only decoding makes it whole.
  EXPECT_EQ(raw.find(url), std::string::npos);

  // A reminder over the same sender (and connection) arrives too.
  ReminderData reminder;
  reminder.agent_name = "Élodie Dupré";
  reminder.campaign_name = "Grand ménage 2026";
  reminder.today = {2026, 12, 9};
  reminder.deadline = {2026, 12, 12};
  reminder.pending_count = 3;
  reminder.pending_bytes = 90'000'000;
  reminder.review_url = url;
  const RenderedEmail second = render_reminder(reminder, Language::en);
  email.subject = second.subject;
  email.text = second.text;
  email.html = second.html;
  email.message_id = make_message_id("departement.example");
  ASSERT_TRUE(sender.send({agent}, build_message(email)).ok());
  const std::string raw_reminder = fetch(agent, "<" + email.message_id + ">");
  ASSERT_FALSE(raw_reminder.empty());
  EXPECT_EQ(test::header_of(test::read_with_python(raw_reminder), "Subject"), second.subject);
}

TEST_F(NotifyIntegrationTest, ImplicitTls) {
  const std::string agent = new_agent();
  config::SmtpConfig c = starttls_config();
  c.url = "smtps://127.0.0.1:" + std::to_string(postfix_->smtps_port());
  c.tls = config::SmtpTls::implicit;
  SmtpSender sender(c);
  EmailMessage email;
  email.from = sender.from();
  email.to = {{"", agent}};
  email.subject = "Implicit TLS";
  email.text = "text\n";
  email.html = "<p>html</p>\n";
  email.date = std::time(nullptr);
  email.message_id = make_message_id("departement.example");
  const SendResult result = sender.send({agent}, build_message(email));
  ASSERT_TRUE(result.ok()) << result.error << "\n" << postfix_->log_tail();
  EXPECT_FALSE(fetch(agent, "<" + email.message_id + ">").empty());
}

TEST_F(NotifyIntegrationTest, UntrustedCertificateIsPermanentForEveryMessage) {
  const std::string agent = new_agent();
  config::SmtpConfig c = starttls_config();
  c.ca_file.clear();  // the system CAs do not know the test CA
  SmtpSender sender(c);
  EmailMessage email;
  email.from = sender.from();
  email.to = {{"", agent}};
  email.subject = "never sent";
  email.date = std::time(nullptr);
  email.message_id = make_message_id("departement.example");
  const SendResult result = sender.send({agent}, build_message(email));
  EXPECT_EQ(result.status, SendStatus::permanent_failure) << result.error;
  EXPECT_TRUE(result.affects_every_message);
  EXPECT_FALSE(result.error.empty());
}

TEST_F(NotifyIntegrationTest, RealRefusalsKeepTheServersText) {
  SmtpSender sender(starttls_config());
  EmailMessage email;
  email.from = sender.from();
  email.to = {{"", "someone@elsewhere.test"}};
  email.subject = "relay";
  email.date = std::time(nullptr);
  email.message_id = make_message_id("departement.example");
  const SendResult result = sender.send({"someone@elsewhere.test"}, build_message(email));
  EXPECT_EQ(result.status, SendStatus::permanent_failure) << result.error;
  // Postfix refuses at RCPT with its text and enhanced status code (default_transport = error:).
  EXPECT_EQ(result.smtp_code, 550) << result.reply;
  EXPECT_NE(result.reply.find("5.7.1 <someone@elsewhere.test>: Recipient address rejected: the test Postfix relays to "
                              "its own domains only"),
            std::string::npos)
      << result.reply;
  EXPECT_NE(result.error.find("RCPT"), std::string::npos) << result.error;
  EXPECT_FALSE(result.affects_every_message);
}

}  // namespace
}  // namespace mailprune::notify
