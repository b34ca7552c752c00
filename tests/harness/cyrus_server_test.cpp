// The Cyrus fixture: a real Cyrus IMAP 3.6 starts, users log in themselves and through the admin
// (SASL PLAIN with an authorization identity), delivered mail comes back with its flags, dates and
// sizes, the TLS port shows our certificate, a generated set loads fast, syslog lands in the log,
// and nothing is left after stop.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "harness/cyrus_server.hpp"
#include "harness/imap_test_client.hpp"
#include "harness/sample_mail.hpp"
#include "harness/server_test_support.hpp"
#include "harness/temp_dir.hpp"

namespace mailprune::test {
namespace {
namespace fs = std::filesystem;

// The words of the last CAPABILITY list in a reply (untagged or in the tagged response code).
std::set<std::string> capabilities_of(const ImapTestClient::Reply& reply) {
  std::string line = reply.find("* CAPABILITY ");
  std::istringstream words(line.substr(std::string("* CAPABILITY ").size()));
  std::set<std::string> out;
  for (std::string word; words >> word;) out.insert(word);
  return out;
}

std::string first_pem_block(const std::string& pem) {
  const std::string end = "-----END CERTIFICATE-----";
  auto at = pem.find(end);
  return at == std::string::npos ? pem : pem.substr(0, at + end.size());
}

class CyrusServerTest : public ::testing::Test {
 protected:
  CyrusServer server;
};

TEST_F(CyrusServerTest, UserLoginAndAdminAuthzid) {
  server.add_user("alice@example.org", "alice-pw");
  server.add_user("bob", "bob-pw");  // no domain: SASL realm is the server name
  server.deliver("alice@example.org", "INBOX", small_message("hello", "for alice"));

  auto alice = ImapTestClient::connect_plain(server.imap_port());
  EXPECT_NE(alice.greeting().find("Cyrus IMAP"), std::string::npos) << alice.greeting();
  alice.login("alice@example.org", "alice-pw");
  auto select = alice.command("SELECT INBOX");
  ASSERT_TRUE(select.ok()) << select.tagged;
  EXPECT_EQ(exists_of(select), 1);

  auto wrong = ImapTestClient::connect_plain(server.imap_port());
  EXPECT_FALSE(wrong.command("LOGIN \"alice@example.org\" \"nope\"").ok());

  // mailprune's login_as = "authzid": authorization identity alice, authentication identity admin.
  auto as_alice = ImapTestClient::connect_plain(server.imap_port());
  auto auth = as_alice.command("AUTHENTICATE PLAIN " +
                               sasl_plain_response("alice@example.org", server.admin_user(), server.admin_password()));
  ASSERT_TRUE(auth.ok()) << auth.tagged << "\n" << server.log_tail();
  select = as_alice.command("SELECT INBOX");
  ASSERT_TRUE(select.ok()) << select.tagged;
  EXPECT_EQ(exists_of(select), 1);  // alice's INBOX, not the admin's

  auto as_bob = ImapTestClient::connect_plain(server.imap_port());
  ASSERT_TRUE(
      as_bob.command("AUTHENTICATE PLAIN " + sasl_plain_response("bob", server.admin_user(), server.admin_password()))
          .ok());
  select = as_bob.command("SELECT INBOX");
  ASSERT_TRUE(select.ok()) << select.tagged;
  EXPECT_EQ(exists_of(select), 0);

  // A user cannot act as another: only admins may give an authzid other than themselves.
  auto bob_as_alice = ImapTestClient::connect_plain(server.imap_port());
  EXPECT_FALSE(
      bob_as_alice.command("AUTHENTICATE PLAIN " + sasl_plain_response("alice@example.org", "bob", "bob-pw")).ok());
  // Nor with a wrong admin password.
  auto bad_admin = ImapTestClient::connect_plain(server.imap_port());
  EXPECT_FALSE(
      bad_admin.command("AUTHENTICATE PLAIN " + sasl_plain_response("alice@example.org", server.admin_user(), "wrong"))
          .ok());

  // The admin logged in as itself sees users' mailboxes under user/.
  auto admin = server.connect_admin();
  auto list = admin.command("LIST \"\" \"user/*\"");
  ASSERT_TRUE(list.ok()) << list.tagged;
  EXPECT_NE(list.find("user/alice@example.org"), "") << list.tagged;
  EXPECT_NE(list.find("user/bob"), "");
}

TEST_F(CyrusServerTest, DeliveredMailComesBackWithFlagsDatesAndSizes) {
  server.add_user("carol@example.org", "carol-pw");
  const std::string first = small_message("first", "hello");
  const std::string second = small_message("second", "bonjour, déjà vu");  // 8-bit body
  const std::time_t date = 1614679200;                                     // 2021-03-02 10:00:00 UTC
  server.deliver("carol@example.org", "INBOX", first, {"\\Seen"}, date);
  server.deliver("carol@example.org", "INBOX", second, {"\\Flagged", "\\Answered"}, date + 60);
  server.deliver("carol@example.org", "Archives/Réunions", small_message("third", "archived"), {}, date + 120);

  auto carol = server.connect_as("carol@example.org");
  auto select = carol.command("SELECT INBOX");
  ASSERT_TRUE(select.ok()) << select.tagged;
  EXPECT_EQ(exists_of(select), 2);
  auto fetch = carol.command("UID FETCH 1:* (RFC822.SIZE INTERNALDATE FLAGS)");
  ASSERT_TRUE(fetch.ok()) << fetch.tagged;
  ASSERT_EQ(fetch.untagged.size(), 2u);
  EXPECT_NE(fetch.untagged[0].find("RFC822.SIZE " + std::to_string(first.size())), std::string::npos)
      << fetch.untagged[0];
  EXPECT_NE(fetch.untagged[0].find("INTERNALDATE \" 2-Mar-2021 10:00:00 +0000\""), std::string::npos)
      << fetch.untagged[0];
  EXPECT_NE(fetch.untagged[0].find("\\Seen"), std::string::npos) << fetch.untagged[0];
  EXPECT_NE(fetch.untagged[1].find("RFC822.SIZE " + std::to_string(second.size())), std::string::npos)
      << fetch.untagged[1];
  EXPECT_NE(fetch.untagged[1].find("INTERNALDATE \" 2-Mar-2021 10:01:00 +0000\""), std::string::npos)
      << fetch.untagged[1];
  EXPECT_NE(fetch.untagged[1].find("\\Flagged"), std::string::npos) << fetch.untagged[1];
  EXPECT_NE(fetch.untagged[1].find("\\Answered"), std::string::npos) << fetch.untagged[1];
  EXPECT_EQ(fetch.untagged[1].find("\\Seen"), std::string::npos) << fetch.untagged[1];

  // Folders beside INBOX (altnamespace), modified UTF-7, parents created, all subscribed.
  auto list = carol.command("LSUB \"\" \"*\"");
  ASSERT_TRUE(list.ok()) << list.tagged;
  EXPECT_NE(list.find("\"/\" Archives/R&AOk-unions"), "") << list.untagged.size();
  EXPECT_NE(list.find("\"/\" Archives"), "");
  auto status = carol.command("STATUS \"Archives/R&AOk-unions\" (MESSAGES)");
  ASSERT_TRUE(status.ok()) << status.tagged;
  EXPECT_NE(status.find("(MESSAGES 1)"), "");

  // The quota root the fixture sets answers GETQUOTAROOT.
  auto quota = carol.command("GETQUOTAROOT INBOX");
  ASSERT_TRUE(quota.ok()) << quota.tagged;
  EXPECT_NE(quota.find("STORAGE"), "") << (quota.untagged.empty() ? "" : quota.untagged.back());

  // Bare LF is refused, and the error says so.
  EXPECT_THROW(server.deliver("carol@example.org", "INBOX", "Subject: lf\n\nbody\n"), std::runtime_error);
}

TEST_F(CyrusServerTest, CapabilitiesAndTlsCertificate) {
  auto tls = ImapTestClient::connect_tls(server.imaps_port(), server.ca_path(), "localhost");
  EXPECT_EQ(tls.greeting().rfind("* OK", 0), 0u) << tls.greeting();
  EXPECT_EQ(first_pem_block(tls.peer_certificate_pem()), first_pem_block(read_file(server.cert_path())));
  // By IP too: the certificate names 127.0.0.1.
  EXPECT_NO_THROW(ImapTestClient::connect_tls(server.imaps_port(), server.ca_path(), "127.0.0.1"));

  server.add_user("dave", "dave-pw");
  tls.login("dave", "dave-pw");
  auto caps = capabilities_of(tls.command("CAPABILITY"));
  std::string all;
  for (const auto& c : caps) all += c + " ";
  std::cout << "[ Cyrus   ] capabilities after login: " << all << "\n";
  for (const char* expected : {"IMAP4rev1",   "LITERAL+",         "ID",
                               "ENABLE",      "CONDSTORE",        "QRESYNC",
                               "BINARY",      "LIST-STATUS",      "LIST-EXTENDED",
                               "ESEARCH",     "UIDPLUS",          "CATENATE",
                               "MOVE",        "OBJECTID",         "STATUS=SIZE",
                               "QUOTA",       "COMPRESS=DEFLATE", "MULTIAPPEND",
                               "SPECIAL-USE", "NAMESPACE",        "IDLE",
                               "UNSELECT",    "SAVEDATE",         "ACL"}) {
    EXPECT_EQ(caps.count(expected), 1u) << expected << " missing from: " << all;
  }

  // Before login, the plaintext port offers PLAIN and LOGIN and allows LOGIN.
  auto plain = ImapTestClient::connect_plain(server.imap_port());
  auto before = capabilities_of(plain.command("CAPABILITY"));
  EXPECT_EQ(before.count("AUTH=PLAIN"), 1u);
  EXPECT_EQ(before.count("AUTH=LOGIN"), 1u);
  EXPECT_EQ(before.count("LOGINDISABLED"), 0u);
}

TEST_F(CyrusServerTest, SyslogLandsInTheLog) {
  server.add_user("erin", "erin-pw");
  auto erin = ImapTestClient::connect_plain(server.imap_port());
  erin.login("erin", "erin-pw");
  erin.command("LOGOUT");
  // imapd's "login:" line only reaches the file through syslog_to_file.so.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (server.log_tail(100000).find("login: ") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string log = server.log_tail(100000);
  EXPECT_NE(log.find(": notice: login: localhost [127.0.0.1] erin plaintext"), std::string::npos) << log;
  EXPECT_NE(log.find("cyrus/ctl_cyrusdb["), std::string::npos) << log;  // the START command's too
}

TEST(CyrusServerLoadTest, LoadsAGeneratedSetQuickly) {
  TempDir dir("cyrus-mail");
  // 4 users x 500 messages: the size of the demo set.
  auto set =
      generate_sample_mail(dir / "mail", {.users = 4, .messages = 500, .seed = 7, .size_scale = 0.02, .damaged = 3});
  CyrusServer server;
  auto result = server.load(set);
  std::cout << "[ Cyrus   ] loaded " << result.messages << " messages, " << result.folders << " folders, "
            << result.bytes << " bytes in " << result.elapsed.count() << " ms\n";
  EXPECT_EQ(result.messages, set.messages.size());
  // About 3-5 s on an idle machine; Cyrus fsyncs each message twice, so busy disks slow it down.
  EXPECT_LT(result.elapsed, std::chrono::seconds(50));

  // Every message of one folder comes back with the manifest's size, date and flags, in order.
  const auto& user = set.users.front();
  std::vector<const SampleMessage*> inbox;
  for (const auto& m : set.messages) {
    if (m.user == user && m.folder == "INBOX") inbox.push_back(&m);
  }
  ASSERT_FALSE(inbox.empty());
  auto session = server.connect_as(user);
  auto select = session.command("SELECT INBOX");
  ASSERT_TRUE(select.ok()) << select.tagged;
  ASSERT_EQ(exists_of(select), static_cast<long>(inbox.size()));
  auto fetch = session.command("UID FETCH 1:* (RFC822.SIZE INTERNALDATE FLAGS)");
  ASSERT_TRUE(fetch.ok()) << fetch.tagged;
  ASSERT_EQ(fetch.untagged.size(), inbox.size());
  std::string date = imap_internal_date(inbox[0]->internal_date);
  if (date[0] == '0') date[0] = ' ';  // Cyrus pads the day with a space
  EXPECT_NE(fetch.untagged[0].find("INTERNALDATE \"" + date + "\""), std::string::npos) << fetch.untagged[0];
  for (std::size_t i = 0; i < inbox.size(); ++i) {
    EXPECT_NE(fetch.untagged[i].find("RFC822.SIZE " + std::to_string(inbox[i]->size) + ")"), std::string::npos)
        << i << ": " << fetch.untagged[i];
    for (const auto& flag : inbox[i]->flags) {
      EXPECT_NE(fetch.untagged[i].find(flag), std::string::npos) << i << ": " << fetch.untagged[i];
    }
  }
}

TEST(CyrusServerLifecycleTest, InboxNamespaceWhenNotAltNamespace) {
  CyrusOptions options;
  options.alt_namespace = false;
  CyrusServer server(options);
  server.add_user("frank", "frank-pw");
  server.deliver("frank", "Projets/Été", small_message("x", "y"));
  auto frank = server.connect_as("frank");
  auto list = frank.command("LIST \"\" \"*\"");
  ASSERT_TRUE(list.ok()) << list.tagged;
  EXPECT_NE(list.find("\"/\" INBOX/Projets/&AMk-t&AOk-"), "");
  EXPECT_EQ(server.mailbox_name("Projets"), "INBOX/Projets");
}

TEST(CyrusServerLifecycleTest, StopsByPidAndCleansUp) {
  pid_t pid = 0;
  std::uint16_t port = 0;
  std::string dir;
  {
    CyrusServer server;
    pid = server.pid();
    port = server.imap_port();
    dir = server.temp_dir();
    EXPECT_TRUE(pid_alive(pid));
    EXPECT_EQ(read_greeting(port).rfind("* OK", 0), 0u);
    server.stop();
    EXPECT_FALSE(pid_alive(pid));
    EXPECT_EQ(read_greeting(port, std::chrono::milliseconds(300)), "");
    EXPECT_NE(server.log_tail().find("All children have exited"), std::string::npos) << server.log_tail();
    server.stop();  // idempotent
  }
  if (!keep_test_dirs()) {
    EXPECT_FALSE(fs::exists(dir));
  }
}

}  // namespace
}  // namespace mailprune::test
