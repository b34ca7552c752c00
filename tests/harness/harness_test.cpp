// The harness's own tests: every fixture starts a real server that answers, delivers what it is
// given, and leaves nothing behind (PID gone, temp dir removed) after stop.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <pqxx/pqxx>
#include <regex>

#include "harness/dovecot_server.hpp"
#include "harness/imap_test_client.hpp"
#include "harness/postgres_server.hpp"
#include "harness/sample_mail.hpp"
#include "harness/server_test_support.hpp"
#include "harness/temp_dir.hpp"

namespace mailprune::test {
namespace {
namespace fs = std::filesystem;

std::string imap_date(std::time_t t) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%02d-%s-%04d %02d:%02d:%02d +0000", tm.tm_mday, months[tm.tm_mon],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buffer;
}

TEST(TempDirTest, UniqueAndRemoved) {
  std::string kept;
  {
    TempDir a("unit");
    TempDir b("unit");
    EXPECT_NE(a.path(), b.path());
    EXPECT_TRUE(fs::is_directory(a.path()));
    std::ofstream(a / "file") << "x";
    kept = a.path();
  }
  if (!keep_test_dirs()) {
    EXPECT_FALSE(fs::exists(kept));
  }
  EXPECT_NE(make_name("x"), make_name("x"));
  EXPECT_GT(free_port(), 0);
}

TEST(MaildirTest, ModifiedUtf7) {
  EXPECT_EQ(encode_modified_utf7("INBOX"), "INBOX");
  EXPECT_EQ(encode_modified_utf7("Réunions"), "R&AOk-unions");
  EXPECT_EQ(encode_modified_utf7("A&B"), "A&-B");
  EXPECT_EQ(encode_modified_utf7("台北"), "&U,BTFw-");  // RFC 3501's example
  EXPECT_EQ(maildir_folder_path("/m", "Archives/Réunions"), "/m/.Archives.R&AOk-unions");
  EXPECT_EQ(maildir_flag_letters({"\\Seen", "\\Flagged"}), "FS");
  EXPECT_EQ(crlf_size("a\nb\r\n"), 6u);
}

TEST(PostgresServerTest, QueryThroughLibpqxx) {
  auto& server = PostgresServer::shared();
  const std::string url = server.create_database();
  pqxx::connection connection(url);
  pqxx::work work(connection);
  EXPECT_EQ(work.exec1("SELECT 40 + 2")[0].as<int>(), 42);
  EXPECT_EQ(work.exec1("SHOW server_encoding")[0].as<std::string>(), "UTF8");
  EXPECT_EQ(work.exec1("SHOW fsync")[0].as<std::string>(), "off");
  work.exec0("CREATE TABLE t (name text)");
  work.exec0("INSERT INTO t VALUES ('réunion')");
  EXPECT_EQ(work.exec1("SELECT name FROM t")[0].as<std::string>(), "réunion");
  work.commit();

  // The socket URL works too, and each test database is separate.
  const std::string other = server.create_database();
  EXPECT_NE(other, url);
  pqxx::connection second(server.socket_url(other.substr(other.rfind('/') + 1)));
  pqxx::work w2(second);
  EXPECT_EQ(w2.exec1("SELECT count(*) FROM pg_tables WHERE tablename = 't'")[0].as<int>(), 0);
}

TEST(PostgresServerTest, WrongPasswordRefusedOverTcp) {
  auto& server = PostgresServer::shared();
  std::string url = server.url();
  url.replace(url.find(server.password()), server.password().size(), "wrong");
  EXPECT_THROW(pqxx::connection{url}, pqxx::broken_connection);
}

TEST(PostgresServerTest, StopsByPidAndCleansUp) {
  pid_t pid = 0;
  std::string dir;
  {
    PostgresServer server;
    pid = server.pid();
    dir = server.temp_dir();
    EXPECT_TRUE(pid_alive(pid));
    EXPECT_EQ(server.psql("SELECT 1"), "1\n");
    server.stop();
    EXPECT_FALSE(pid_alive(pid));
    EXPECT_THROW(pqxx::connection{server.url()}, pqxx::broken_connection);
  }
  if (!keep_test_dirs()) {
    EXPECT_FALSE(fs::exists(dir));
  }
}

class DovecotServerTest : public ::testing::Test {
 protected:
  DovecotServer server;
};

TEST_F(DovecotServerTest, LoginDeliverAndMasterUser) {
  server.add_user("alice@example.org", "alice-pw");
  server.add_user("bob@example.org", "bob-pw");
  const std::string first = small_message("first", "hello");
  const std::time_t date = 1614679200;  // 2021-03-02 10:00:00 UTC
  server.deliver("alice@example.org", "INBOX", first, {"\\Seen"}, date);
  server.deliver("alice@example.org", "INBOX", small_message("second", "again"), {"\\Flagged"}, date + 60);
  server.deliver("alice@example.org", "Archives/Réunions", small_message("third", "archived"));

  auto alice = ImapTestClient::connect_plain(server.imap_port());
  EXPECT_EQ(alice.greeting().rfind("* OK", 0), 0u) << alice.greeting();
  alice.login("alice@example.org", "alice-pw");
  auto select = alice.command("SELECT INBOX");
  ASSERT_TRUE(select.ok()) << select.tagged;
  EXPECT_EQ(exists_of(select), 2);

  // Size, date and flags come out as delivered: RFC822.SIZE equals the CRLF file size.
  auto fetch = alice.command("UID FETCH 1:* (RFC822.SIZE INTERNALDATE FLAGS)");
  ASSERT_TRUE(fetch.ok()) << fetch.tagged;
  ASSERT_EQ(fetch.untagged.size(), 2u);
  EXPECT_NE(fetch.untagged[0].find("RFC822.SIZE " + std::to_string(first.size())), std::string::npos)
      << fetch.untagged[0];
  EXPECT_NE(fetch.untagged[0].find("\"02-Mar-2021 10:00:00 +0000\""), std::string::npos) << fetch.untagged[0];
  EXPECT_NE(fetch.untagged[0].find("\\Seen"), std::string::npos) << fetch.untagged[0];
  EXPECT_NE(fetch.untagged[1].find("\\Flagged"), std::string::npos) << fetch.untagged[1];

  // The non-ASCII folder is listed in modified UTF-7 with '/' as separator.
  auto list = alice.command("LIST \"\" \"*\"");
  EXPECT_NE(list.find("Archives/R&AOk-unions"), "") << "LIST lines: " << list.untagged.size();

  // Live delivery while selected shows up at the next NOOP.
  server.deliver("alice@example.org", "INBOX", small_message("live", "new"));
  auto noop = alice.command("NOOP");
  EXPECT_EQ(exists_of(noop), 3) << noop.untagged.size();

  // The master user reads alice's mailbox; bob's password does not.
  auto admin = ImapTestClient::connect_plain(server.imap_port());
  admin.login(server.master_login("alice@example.org"), server.master_password());
  auto admin_select = admin.command("EXAMINE INBOX");
  EXPECT_EQ(exists_of(admin_select), 3);
  auto bob = ImapTestClient::connect_plain(server.imap_port());
  EXPECT_THROW(bob.login("alice@example.org", "bob-pw"), std::runtime_error);

  // A user added after start can log in (passwd-file is re-read).
  server.add_user("carol@example.org", "carol-pw");
  auto carol = ImapTestClient::connect_plain(server.imap_port());
  carol.login("carol@example.org", "carol-pw");
  EXPECT_EQ(exists_of(carol.command("SELECT INBOX")), 0);

  auto capability = admin.command("CAPABILITY");
  ASSERT_TRUE(capability.ok());
  std::cout << "[harness] Dovecot capabilities after login: " << capability.find("CAPABILITY") << "\n";
  for (const char* wanted : {"CONDSTORE", "QRESYNC", "BINARY", "LIST-STATUS", "ESEARCH", "LITERAL+", "UIDPLUS", "MOVE",
                             "QUOTA", "COMPRESS=DEFLATE"}) {
    EXPECT_NE(capability.find(std::string(" ") + wanted).size(), 0u) << wanted;
  }
  auto quota = admin.command("GETQUOTAROOT INBOX");
  EXPECT_TRUE(quota.ok()) << quota.tagged;
  EXPECT_NE(quota.find("STORAGE").size(), 0u);
}

TEST_F(DovecotServerTest, TlsPortPresentsGeneratedCertificate) {
  server.add_user("dave@example.org", "dave-pw");
  for (const std::string name : {"localhost", "127.0.0.1"}) {
    auto client = ImapTestClient::connect_tls(server.imaps_port(), server.ca_path(), name);
    EXPECT_EQ(client.greeting().rfind("* OK", 0), 0u) << client.greeting();
    EXPECT_EQ(client.peer_certificate_pem(), read_file(server.cert_path()));
    client.login(server.master_login("dave@example.org"), server.master_password());
  }
  // A name the certificate does not carry is refused, and so is an unrelated CA.
  EXPECT_THROW(ImapTestClient::connect_tls(server.imaps_port(), server.ca_path(), "example.org"), std::runtime_error);
  DovecotServer other;
  EXPECT_THROW(ImapTestClient::connect_tls(server.imaps_port(), other.ca_path()), std::runtime_error);
}

TEST(DovecotServerLifecycleTest, StopsByPidAndCleansUp) {
  pid_t pid = 0;
  std::string dir;
  std::uint16_t port = 0;
  {
    DovecotServer server;
    pid = server.pid();
    dir = server.temp_dir();
    port = server.imap_port();
    EXPECT_TRUE(pid_alive(pid));
    server.stop();
    EXPECT_FALSE(pid_alive(pid));
    EXPECT_EQ(read_greeting(port, std::chrono::milliseconds(200)), "");
  }
  if (!keep_test_dirs()) {
    EXPECT_FALSE(fs::exists(dir));
  }
}

TEST(DovecotLoadTest, GeneratedMailMatchesManifestAndGroundTruth) {
  TempDir scratch("mailgen");
  MailgenOptions options;
  options.users = 4;
  options.messages = 40;
  options.seed = 7;
  options.damaged = 3;
  const auto set = generate_sample_mail(scratch / "mail", options);
  ASSERT_EQ(set.users.size(), 4u);
  const auto truth = inventory_truth(set.dir);

  DovecotServer server;
  const auto loaded = server.load(set);
  EXPECT_EQ(loaded.messages, set.messages.size());

  // Per folder, through IMAP as the master user: counts and RFC822.SIZE sums.
  std::map<std::pair<std::string, std::string>, std::pair<long, std::uint64_t>> expected;
  std::map<std::pair<std::string, std::string>, std::vector<std::time_t>> dates;
  std::uint64_t good_bytes = 0;
  std::size_t good_messages = 0;
  for (const auto& m : set.messages) {
    auto& e = expected[{m.user, m.folder}];
    ++e.first;
    e.second += m.size;
    dates[{m.user, m.folder}].push_back(m.internal_date);
    EXPECT_EQ(m.size, fs::file_size(m.path)) << m.path;
    if (!m.damaged) {
      good_bytes += m.size;
      ++good_messages;
    }
  }
  EXPECT_EQ(truth.at("messages").get<std::size_t>(), good_messages);
  EXPECT_EQ(truth.at("message_bytes").get<std::uint64_t>(), good_bytes);
  EXPECT_EQ(truth.at("mailboxes").get<std::size_t>(), set.users.size());

  static const std::regex size_re(R"(RFC822\.SIZE (\d+))");
  for (const auto& [key, want] : expected) {
    auto client = ImapTestClient::connect_plain(server.imap_port());
    client.login(server.master_login(key.first), server.master_password());
    std::string folder = key.second == "INBOX" ? "INBOX" : encode_modified_utf7(key.second);
    auto select = client.command("EXAMINE " + ImapTestClient::quote(folder));
    ASSERT_TRUE(select.ok()) << key.first << " " << key.second << ": " << select.tagged;
    EXPECT_EQ(exists_of(select), want.first) << key.first << " " << key.second;
    auto fetch = client.command("FETCH 1:* (RFC822.SIZE INTERNALDATE)");
    std::uint64_t bytes = 0;
    for (const auto& line : fetch.untagged) {
      std::smatch match;
      if (std::regex_search(line, match, size_re)) bytes += std::stoull(match[1]);
    }
    EXPECT_EQ(bytes, want.second) << key.first << " " << key.second;
    // UIDs follow internal dates, and INTERNALDATE is the manifest's.
    auto& folder_dates = dates[key];
    std::sort(folder_dates.begin(), folder_dates.end());
    ASSERT_FALSE(fetch.untagged.empty());
    EXPECT_NE(fetch.untagged.front().find(imap_date(folder_dates.front())), std::string::npos)
        << fetch.untagged.front();
    EXPECT_NE(fetch.untagged.back().find(imap_date(folder_dates.back())), std::string::npos) << fetch.untagged.back();
  }
}

// ~2,000 messages (the size of a benchmark mailbox) load in seconds.
TEST(DovecotLoadTest, TwoThousandMessagesInSeconds) {
  TempDir scratch("mailgen");
  MailgenOptions options;
  options.users = 10;
  options.messages = 200;
  options.seed = 3;
  options.size_scale = 0.02;
  const auto set = generate_sample_mail(scratch / "mail", options);
  DovecotServer server;
  const auto loaded = server.load(set);
  EXPECT_EQ(loaded.messages, 2000u);
  std::cout << "[harness] loaded " << loaded.messages << " messages (" << loaded.bytes << " bytes) in "
            << loaded.folders << " folders in " << loaded.elapsed.count() << " ms\n";
  EXPECT_LT(loaded.elapsed, std::chrono::seconds(30));
}

}  // namespace
}  // namespace mailprune::test
