// Session against real servers started by the harness: Dovecot (implicit TLS, master user,
// COMPRESS=DEFLATE, QRESYNC) and Cyrus (STARTTLS on its plaintext port, admin authzid).
#include <gtest/gtest.h>

#include <string>

#include "harness/cyrus_server.hpp"
#include "harness/dovecot_server.hpp"
#include "imap/session.hpp"

namespace mailprune::imap::test {
namespace {

using mailprune::test::CyrusServer;
using mailprune::test::DovecotServer;

std::string message_with_body(const std::string& subject, std::size_t body_bytes) {
  std::string message = "From: a@example.org\r\nTo: b@example.org\r\nSubject: " + subject + "\r\nMessage-ID: <" +
                        subject + "@example.org>\r\n\r\n";
  for (std::size_t i = 0; message.size() < body_bytes; ++i) {
    message += "line " + std::to_string(i) + " of a body that compresses but not to nothing " +
               std::to_string(i * 7919 % 1000) + "\r\n";
  }
  return message;
}

Error open_error(const SessionOptions& options) {
  try {
    Session::open(options);
  } catch (const Error& error) {
    return error;
  }
  ADD_FAILURE() << "Session::open did not throw";
  return {};
}

class DovecotSession : public ::testing::Test {
 protected:
  void SetUp() override { server.add_user("alice@example.org", "alice-pw"); }

  SessionOptions master_options(const std::string& host) const {
    SessionOptions options;
    options.host = host;
    options.port = server.imaps_port();
    options.transport = Transport::implicit_tls;
    options.ca_file = server.ca_path();
    options.authcid = server.master_login("alice@example.org");
    options.password = server.master_password();
    options.timeout = std::chrono::seconds(10);
    return options;
  }

  DovecotServer server;
};

TEST_F(DovecotSession, ImplicitTlsVerifiedByIpAddressMasterLoginCompressAndQresync) {
  const std::string message = message_with_body("tls", 2000);
  server.deliver("alice@example.org", "INBOX", message);
  auto session = Session::open(master_options("127.0.0.1"));
  EXPECT_TRUE(session->has("IMAP4REV1"));
  EXPECT_TRUE(session->compressed());
  EXPECT_TRUE(session->enabled().count("QRESYNC"));
  EXPECT_TRUE(session->enabled().count("CONDSTORE"));
  const CommandOptions command_opts = session->command_options();
  ASSERT_TRUE(session->run(select(command_opts, session->tags().next(), *Mailbox::from_utf8("INBOX"))).ok());
  const CommandResult fetched =
      session->run(uid_fetch(session->tags().next(), "1:*", {"UID", "RFC822.SIZE", "BODY.PEEK[]"}));
  ASSERT_TRUE(fetched.ok()) << fetched.status.text;
  ASSERT_EQ(fetched.untagged.size(), 1u);
  const auto& fetch = std::get<FetchMessage>(fetched.untagged[0]);
  EXPECT_EQ(fetch.rfc822_size, message.size());
  ASSERT_NE(fetch.body(""), nullptr);
  EXPECT_EQ(fetch.body("")->data, message);
  const SessionTraffic traffic = session->traffic();
  EXPECT_LT(traffic.bytes_received, traffic.bytes_inflated) << "COMPRESS should shrink what crosses the wire";
  session->close();
  EXPECT_FALSE(session->alive());
}

TEST_F(DovecotSession, ImplicitTlsVerifiedByHostName) {
  auto session = Session::open(master_options("localhost"));
  EXPECT_TRUE(session->alive());
  session->close();
}

TEST_F(DovecotSession, SystemCasDoNotTrustTheTestCertificate) {
  SessionOptions options = master_options("127.0.0.1");
  options.ca_file.clear();
  const Error error = open_error(options);
  EXPECT_EQ(error.kind, ErrorKind::connection);
  EXPECT_NE(error.message.find("certificate verification (unable to get local issuer certificate)"), std::string::npos)
      << error.message;
  EXPECT_TRUE(error.retriable()) << "a connection error; the caller decides not to loop on it";
}

TEST_F(DovecotSession, VerificationCanBeTurnedOff) {
  SessionOptions options = master_options("127.0.0.1");
  options.ca_file.clear();
  options.verify_certificate = false;
  auto session = Session::open(options);
  EXPECT_TRUE(session->alive());
}

TEST_F(DovecotSession, WrongPasswordIsKindNo) {
  SessionOptions options = master_options("127.0.0.1");
  options.password = "wrong";
  const Error error = open_error(options);
  EXPECT_EQ(error.kind, ErrorKind::no);
  EXPECT_FALSE(error.retriable());
  EXPECT_EQ(error.message.find("wrong"), std::string::npos);
}

TEST_F(DovecotSession, LargeBodyStreamsThroughCompressionToTheSink) {
  const std::string message = message_with_body("big", 600'000);
  server.deliver("alice@example.org", "INBOX", message);
  SessionOptions options = master_options("127.0.0.1");
  options.framer_limits.stream_literals_above = 4096;
  auto session = Session::open(options);
  ASSERT_TRUE(session->compressed());
  std::string streamed;
  std::size_t chunks = 0;
  session->set_literal_sink([&](const LiteralChunk& chunk) {
    streamed.append(chunk.bytes);
    ++chunks;
  });
  ASSERT_TRUE(
      session->run(select(session->command_options(), session->tags().next(), *Mailbox::from_utf8("INBOX"))).ok());
  const CommandResult fetched = session->run(uid_fetch(session->tags().next(), "1", {"UID", "BODY.PEEK[]"}));
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(streamed.size(), message.size());
  EXPECT_TRUE(streamed == message);
  EXPECT_GT(chunks, 1u);
}

TEST_F(DovecotSession, PlaintextPortWithLoginMechanism) {
  SessionOptions options = master_options("127.0.0.1");
  options.port = server.imap_port();
  options.transport = Transport::plain;
  options.auth = AuthMechanism::login;
  options.compress = false;
  auto session = Session::open(options);
  EXPECT_FALSE(session->compressed());
  EXPECT_TRUE(session->run(noop(session->tags().next())).ok());
  session->close();
}

class CyrusSession : public ::testing::Test {
 protected:
  void SetUp() override {
    server.add_user("bob", "bob-pw");
    server.deliver("bob", "INBOX", message_with_body("cyrus", 3000));
  }
  CyrusServer server;
};

TEST_F(CyrusSession, StartTlsThenAdminAuthzid) {
  SessionOptions options;
  options.host = "localhost";
  options.port = server.imap_port();
  options.transport = Transport::starttls;
  options.ca_file = server.ca_path();
  options.authcid = server.admin_user();
  options.authzid = "bob";
  options.password = server.admin_password();
  options.timeout = std::chrono::seconds(10);
  auto session = Session::open(options);
  EXPECT_FALSE(session->has("STARTTLS")) << "capabilities must be the ones announced after TLS";
  const CommandResult selected =
      session->run(select(session->command_options(), session->tags().next(), *Mailbox::from_utf8("INBOX")));
  ASSERT_TRUE(selected.ok()) << selected.status.text;
  const CommandResult fetched = session->run(uid_fetch(session->tags().next(), "1:*", {"UID", "RFC822.SIZE"}));
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched.untagged.size(), 1u);
  session->close();
}

TEST_F(CyrusSession, WrongAdminPasswordIsKindNo) {
  SessionOptions options;
  options.host = "127.0.0.1";
  options.port = server.imap_port();
  options.transport = Transport::starttls;
  options.ca_file = server.ca_path();
  options.authcid = server.admin_user();
  options.authzid = "bob";
  options.password = "not-it";
  options.timeout = std::chrono::seconds(10);
  EXPECT_EQ(open_error(options).kind, ErrorKind::no);
}

}  // namespace
}  // namespace mailprune::imap::test
