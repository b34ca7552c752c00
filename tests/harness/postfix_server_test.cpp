// The Postfix fixture: a private Postfix starts on loopback, relays mail for its domains over LMTP
// into a Dovecot where IMAP finds it, refuses to relay anywhere else, runs next to another
// instance without sharing anything, and leaves nothing behind: not after stop(), and not after
// the test process that started it dies without cleaning up.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "harness/dovecot_server.hpp"
#include "harness/imap_test_client.hpp"
#include "harness/postfix_server.hpp"
#include "harness/temp_dir.hpp"

namespace mailprune::test {
namespace {
namespace fs = std::filesystem;

std::string message_to(const std::string& to, const std::string& message_id, const std::string& body) {
  return "From: Harness <harness@example.net>\r\nTo: " + to + "\r\nSubject: Postfix harness " + message_id +
         "\r\nMessage-ID: <" + message_id +
         ">\r\nDate: Tue, 02 Mar 2021 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n\r\n" +
         body + "\r\n";
}

// The raw message with this Message-ID in the user's INBOX, waiting up to 20 s for it; "" if it
// never came.
std::string wait_for_message(const DovecotServer& imap, const std::string& user, const std::string& password,
                             const std::string& message_id) {
  auto client = ImapTestClient::connect_plain(imap.imap_port());
  client.login(user, password);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    EXPECT_TRUE(client.command("SELECT INBOX").ok());
    auto search = client.command("UID SEARCH HEADER Message-ID " + ImapTestClient::quote(message_id));
    std::smatch match;
    std::string hits = search.find("* SEARCH ");
    static const std::regex first_uid(R"(^\* SEARCH (\d+))");
    if (std::regex_search(hits, match, first_uid)) {
      auto fetch = client.command("UID FETCH " + match[1].str() + " BODY.PEEK[]");
      std::string line = fetch.find("BODY[]");
      static const std::regex literal(R"(\{(\d+)\}\r\n)");
      if (std::regex_search(line, match, literal)) {
        return line.substr(static_cast<std::size_t>(match.position(0) + match.length(0)), std::stoul(match[1]));
      }
      ADD_FAILURE() << "no literal in " << line;
      return "";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return "";
}

TEST(PostfixServerTest, StartsAnswersAndLeavesNothingAfterStop) {
  std::string dir;
  pid_t master = -1;
  {
    PostfixServer postfix;
    dir = postfix.temp_dir();
    master = postfix.master_pid();
    EXPECT_TRUE(fs::exists(postfix.config_dir() + "/main.cf"));
    EXPECT_FALSE(process_gone(master));
    EXPECT_EQ(read_greeting(postfix.smtp_port()).rfind("220 mailprune-test.localdomain ESMTP", 0), 0u);
    std::string queued = smtp_test_send(postfix.smtp_port(), "harness@example.net", {"nobody@example.org"},
                                        message_to("nobody@example.org", make_name("m") + "@h", "discarded"));
    EXPECT_EQ(queued.rfind("250 ", 0), 0u) << queued;
    // The log lands in the temp dir (no syslog here).
    EXPECT_NE(postfix.log_tail().find("daemon started"), std::string::npos) << postfix.log_tail();
    postfix.stop();
    EXPECT_TRUE(process_gone(master));
    EXPECT_EQ(read_greeting(postfix.smtp_port(), std::chrono::milliseconds(300)), "");
    postfix.stop();  // idempotent
  }
  if (!keep_test_dirs()) {
    EXPECT_FALSE(fs::exists(dir));
  }
}

TEST(PostfixServerTest, RelaysItsDomainsOverLmtpIntoDovecot) {
  DovecotOptions dovecot_options;
  dovecot_options.lmtp = true;
  DovecotServer imap(dovecot_options);
  ASSERT_NE(imap.lmtp_port(), 0);
  EXPECT_EQ(read_greeting(imap.lmtp_port()).rfind("220 ", 0), 0u);
  imap.add_user("alice@example.org", "secret");
  PostfixOptions options;
  options.lmtp_port = imap.lmtp_port();
  PostfixServer postfix(options);

  const std::string id = make_name("m") + "@harness.example.net";
  smtp_test_send(postfix.smtp_port(), "harness@example.net", {"alice@example.org"},
                 message_to("alice@example.org", id, "Bonjour Alice,\n.leading dot kept\nfin"));
  std::string raw = wait_for_message(imap, "alice@example.org", "secret", id);
  ASSERT_FALSE(raw.empty()) << "not delivered; queue:\n" << postfix.queue_listing() << "\nlog:\n" << postfix.log_tail();
  EXPECT_NE(raw.find("Subject: Postfix harness " + id), std::string::npos) << raw;
  EXPECT_NE(raw.find("\r\n.leading dot kept\r\n"), std::string::npos) << raw;      // dot-stuffing undone
  EXPECT_NE(raw.find("by mailprune-test.localdomain"), std::string::npos) << raw;  // through our Postfix

  // Only its own domains: no open relay, even from loopback.
  EXPECT_THROW(smtp_test_send(postfix.smtp_port(), "harness@example.net", {"someone@elsewhere.test"},
                              message_to("someone@elsewhere.test", make_name("m") + "@h", "x")),
               std::runtime_error);
}

TEST(PostfixServerTest, InstancesRunSideBySide) {
  PostfixServer first;
  PostfixOptions options;
  options.domains = {"example.com"};
  options.tls = false;
  PostfixServer second(options);
  EXPECT_NE(first.temp_dir(), second.temp_dir());
  EXPECT_NE(first.smtp_port(), second.smtp_port());
  EXPECT_NE(first.master_pid(), second.master_pid());
  EXPECT_EQ(second.smtps_port(), 0);
  smtp_test_send(first.smtp_port(), "a@example.net", {"x@example.org"}, message_to("x@example.org", "1@h", "one"));
  smtp_test_send(second.smtp_port(), "a@example.net", {"x@example.com"}, message_to("x@example.com", "2@h", "two"));
  // Each relays its own domains only.
  EXPECT_THROW(smtp_test_send(second.smtp_port(), "a@example.net", {"x@example.org"},
                              message_to("x@example.org", "3@h", "three")),
               std::runtime_error);
  const pid_t first_master = first.master_pid();
  first.stop();
  EXPECT_TRUE(process_gone(first_master));
  EXPECT_FALSE(first.running());
  EXPECT_EQ(read_greeting(second.smtp_port()).rfind("220 ", 0), 0u);
}

// A test process that dies without stopping its Postfix (a crash): the watchdog stops it.
TEST(PostfixServerTest, NoPostfixLeftWhenTheTestProcessDies) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    std::string report;
    try {
      auto* postfix = new PostfixServer();  // never deleted: we die with it running
      report = std::to_string(postfix->master_pid()) + " " + postfix->temp_dir();
    } catch (const std::exception& e) {
      report = std::string("error ") + e.what();
    }
    (void)!::write(pipe_fds[1], report.data(), report.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string report;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    report.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_NE(report.rfind("error ", 0), 0u) << report;
  const pid_t master = static_cast<pid_t>(std::stol(report));
  const std::string dir = report.substr(report.find(' ') + 1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!process_gone(master) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(process_gone(master)) << "Postfix master " << master << " still running after its test died";
  if (!process_gone(master)) ::kill(master, SIGKILL);
  // What a crashed test leaves is its temp dir only; clean it up here. Daemons may outlive the
  // master by a moment.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::error_code ignored;
  if (dir.rfind("/", 0) == 0 && dir.find("mp-postfix-") != std::string::npos) fs::remove_all(dir, ignored);
}

}  // namespace
}  // namespace mailprune::test
