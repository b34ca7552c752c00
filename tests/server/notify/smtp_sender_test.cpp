// SmtpSender against scripted servers on loopback: what each reply of a real server (2xx, 4xx,
// 5xx at every step, a dropped connection, no STARTTLS, nobody listening) becomes, and what the
// server receives (envelope, dot-stuffing, the message byte for byte, AUTH).
#include <gtest/gtest.h>

#include <thread>

#include "harness/temp_dir.hpp"
#include "notify/smtp_sender.hpp"
#include "scripted_smtp_server.hpp"

namespace mailprune::notify {
namespace {

using test::ScriptedSmtpServer;
using test::SmtpScript;

config::SmtpConfig plain_config(const std::string& url) {
  config::SmtpConfig c;
  c.url = url;
  c.tls = config::SmtpTls::none;
  c.from = "Direction du numérique <dsi@departement.example>";
  c.timeout_seconds = 5;
  return c;
}

const std::string kMessage =
    "From: dsi@departement.example\r\nTo: alice@example.org\r\nSubject: test\r\n\r\nline one\r\n.starts with a "
    "dot\r\n..two dots\r\n.\r\nlast\r\n";

TEST(SmtpSender, SendsTheMessageAsItIs) {
  ScriptedSmtpServer server{SmtpScript{}};
  SmtpSender sender(plain_config(server.url()));
  EXPECT_EQ(sender.from().address, "dsi@departement.example");
  const SendResult r = sender.send({"alice@example.org", "<bob@example.org>"}, kMessage);
  EXPECT_EQ(r.status, SendStatus::sent) << r.error;
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.smtp_code, 250);
  EXPECT_EQ(r.reply, "250 2.0.0 Ok: queued as SCRIPTED1");
  EXPECT_EQ(r.error, "");
  ASSERT_EQ(server.messages().size(), 1u);
  EXPECT_EQ(server.messages()[0], kMessage);  // dot-stuffing done and undone
  const auto commands = server.commands();
  EXPECT_NE(std::find(commands.begin(), commands.end(), "MAIL FROM:<dsi@departement.example>"), commands.end());
  EXPECT_NE(std::find(commands.begin(), commands.end(), "RCPT TO:<alice@example.org>"), commands.end());
  EXPECT_NE(std::find(commands.begin(), commands.end(), "RCPT TO:<bob@example.org>"), commands.end());

  // A second message goes over the same connection.
  EXPECT_TRUE(sender.send({"carol@example.org"}, kMessage).ok());
  EXPECT_EQ(server.messages().size(), 2u);
  EXPECT_EQ(server.connections(), 1);
}

TEST(SmtpSender, AuthenticatesWithTheSecret) {
  ScriptedSmtpServer server{SmtpScript{}};
  config::SmtpConfig c = plain_config(server.url());
  c.user = "mailprune";
  c.password = config::Secret("s3cret-for-test", "test");
  SmtpSender sender(c);
  const SendResult r = sender.send({"alice@example.org"}, kMessage);
  ASSERT_TRUE(r.ok()) << r.error;
  // SASL PLAIN: base64 of "\0mailprune\0s3cret-for-test".
  const auto commands = server.commands();
  EXPECT_NE(std::find(commands.begin(), commands.end(), "AUTH PLAIN"), commands.end());
  EXPECT_NE(std::find(commands.begin(), commands.end(), "AG1haWxwcnVuZQBzM2NyZXQtZm9yLXRlc3Q="), commands.end());
  EXPECT_EQ(r.reply.find("s3cret"), std::string::npos);
}

// One row per server behaviour: the reply at a step, and what it must become.
struct FailureCase {
  const char* name;
  SmtpScript script;
  SendStatus status;
  int code;
  const char* reply_contains;
  bool affects_every_message;
  bool outcome_unknown;
};

SmtpScript with(SmtpScript s, std::string SmtpScript::*step, std::string reply) {
  s.*step = std::move(reply);
  return s;
}

TEST(SmtpSender, ClassifiesEveryFailure) {
  const SmtpScript ok;
  const FailureCase cases[] = {
      {"rcpt-550-unknown-user",
       with(ok, &SmtpScript::rcpt, "550 5.1.1 <alice@example.org>: Recipient address rejected: User unknown"),
       SendStatus::permanent_failure, 550, "5.1.1", false, false},
      {"rcpt-451-greylisted", with(ok, &SmtpScript::rcpt, "451 4.7.1 Greylisted, try again later"),
       SendStatus::temporary_failure, 451, "Greylisted", false, false},
      {"rcpt-452-multiline", with(ok, &SmtpScript::rcpt, "452-4.2.2 Mailbox full\r\n452 4.2.2 Try later"),
       SendStatus::temporary_failure, 452, "Mailbox full\n452 4.2.2 Try later", false, false},
      {"mail-553-sender-refused", with(ok, &SmtpScript::mail, "553 5.7.1 Sender address rejected"),
       SendStatus::permanent_failure, 553, "Sender address rejected", true, false},
      {"mail-421-shutting-down", with(ok, &SmtpScript::mail, "421 4.3.2 Service shutting down"),
       SendStatus::temporary_failure, 421, "shutting down", true, false},
      {"data-554-refused", with(ok, &SmtpScript::data, "554 5.5.1 No valid recipients"), SendStatus::permanent_failure,
       554, "No valid recipients", false, false},
      {"end-of-data-552-too-big", with(ok, &SmtpScript::end_of_data, "552 5.3.4 Message too big"),
       SendStatus::permanent_failure, 552, "too big", false, false},
      {"end-of-data-451-local-error", with(ok, &SmtpScript::end_of_data, "451 4.3.0 Local error in processing"),
       SendStatus::temporary_failure, 451, "Local error", false, false},
      {"end-of-data-dropped", with(ok, &SmtpScript::end_of_data, ""), SendStatus::temporary_failure, 354, "", false,
       true},
      {"greeting-554-no-service", with(ok, &SmtpScript::greeting, "554 5.3.2 No SMTP service here"),
       SendStatus::permanent_failure, 554, "No SMTP service", false, false},
      {"greeting-dropped", with(ok, &SmtpScript::greeting, ""), SendStatus::temporary_failure, 0, "", false, false},
      {"auth-535-refused", with(ok, &SmtpScript::auth, "535 5.7.8 Authentication credentials invalid"),
       SendStatus::permanent_failure, 535, "credentials invalid", true, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ScriptedSmtpServer server{c.script};
    config::SmtpConfig config = plain_config(server.url());
    if (std::string(c.name).rfind("auth-", 0) == 0) {
      config.user = "mailprune";
      config.password = config::Secret("not-the-password", "test");
    }
    SmtpSender sender(config);
    const SendResult r = sender.send({"alice@example.org"}, kMessage);
    EXPECT_EQ(r.status, c.status) << to_string(r.status) << " " << r.error << " / " << r.reply;
    EXPECT_EQ(r.smtp_code, c.code) << r.reply;
    EXPECT_NE(r.reply.find(c.reply_contains), std::string::npos) << r.reply;
    EXPECT_EQ(r.affects_every_message, c.affects_every_message) << r.error;
    EXPECT_EQ(r.outcome_unknown, c.outcome_unknown) << r.error;
    EXPECT_FALSE(r.error.empty());
    EXPECT_EQ(r.retriable(), c.status == SendStatus::temporary_failure);
    EXPECT_EQ(r.error.find("not-the-password"), std::string::npos);
  }
}

TEST(SmtpSender, NothingListeningIsTemporaryForEveryMessage) {
  SmtpSender sender(plain_config("smtp://127.0.0.1:" + std::to_string(mailprune::test::free_port())));
  const auto start = std::chrono::steady_clock::now();
  const SendResult r = sender.send({"alice@example.org"}, kMessage);
  EXPECT_EQ(r.status, SendStatus::temporary_failure) << r.error;
  EXPECT_TRUE(r.affects_every_message);
  EXPECT_FALSE(r.outcome_unknown);
  EXPECT_EQ(r.smtp_code, 0);
  EXPECT_EQ(r.reply, "");
  EXPECT_FALSE(r.error.empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(SmtpSender, StartTlsRequiredButNotOffered) {
  ScriptedSmtpServer server{SmtpScript{}};  // its EHLO does not offer STARTTLS
  config::SmtpConfig required = plain_config(server.url());
  required.tls = config::SmtpTls::starttls;
  const SendResult r = SmtpSender(required).send({"alice@example.org"}, kMessage);
  EXPECT_EQ(r.status, SendStatus::permanent_failure) << r.error;
  EXPECT_TRUE(r.affects_every_message);
  EXPECT_TRUE(server.messages().empty());  // nothing went in clear

  config::SmtpConfig opportunistic = required;
  opportunistic.tls = config::SmtpTls::opportunistic;
  EXPECT_TRUE(SmtpSender(opportunistic).send({"alice@example.org"}, kMessage).ok());
  EXPECT_EQ(server.messages().size(), 1u);
}

// A cached connection that the server closed while idle: the next message goes over a new one.
TEST(SmtpSender, ReconnectsWhenTheIdleConnectionWasClosed) {
  SmtpScript script;
  script.close_after_message = true;
  ScriptedSmtpServer server{script};
  SmtpSender sender(plain_config(server.url()));
  for (int i = 0; i < 3; ++i) {
    const SendResult r = sender.send({"alice@example.org"}, kMessage);
    ASSERT_TRUE(r.ok()) << i << ": " << r.error;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the server closes meanwhile
  }
  EXPECT_EQ(server.messages().size(), 3u);
  EXPECT_EQ(server.connections(), 3);
}

TEST(SmtpSender, RefusesBadRecipientsAndConfiguration) {
  ScriptedSmtpServer server{SmtpScript{}};
  SmtpSender sender(plain_config(server.url()));
  EXPECT_EQ(sender.send({}, kMessage).status, SendStatus::permanent_failure);
  EXPECT_EQ(sender.send({"Alice <alice@example.org>"}, kMessage).status, SendStatus::permanent_failure);
  EXPECT_EQ(sender.send({"élodie@example.org"}, kMessage).status, SendStatus::permanent_failure);
  EXPECT_TRUE(server.commands().empty());

  config::SmtpConfig c = plain_config(server.url());
  c.from = "nobody";
  EXPECT_THROW(SmtpSender{c}, std::invalid_argument);
  c = plain_config(server.url());
  c.tls = config::SmtpTls::implicit;  // with smtp://
  EXPECT_THROW(SmtpSender{c}, std::invalid_argument);
  c = plain_config("smtps://127.0.0.1:465");
  EXPECT_THROW(SmtpSender{c}, std::invalid_argument);
  c = plain_config(server.url());
  c.reply_to = "Support <support@departement.example>";
  EXPECT_EQ(SmtpSender(c).reply_to()->display_name, "Support");
}

}  // namespace
}  // namespace mailprune::notify
