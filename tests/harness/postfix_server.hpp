// postfix_server.hpp: a throwaway Postfix (Debian's package) for integration tests, and a tiny SMTP
// client to check it independently of the code under test.
//
// Everything lives in one temp dir: the configuration directory `etc/` (main.cf and master.cf
// written here, nothing read from /etc/postfix), the queue (`queue/`, made by `postfix start`
// with Postfix's own ownership rules), `data/` (owned by mail_owner), the TLS material (a fresh CA
// and server certificate, see tls_certificate.hpp) and the log `postfix.log` (maillog_file through
// postlogd, allowed by maillog_file_prefixes: there is no syslog here).
//
// It listens on 127.0.0.1 only (inet_interfaces): smtpd on a free port (smtp_port(): STARTTLS
// offered when `tls`), and with `tls` an implicit-TLS smtpd (smtps_port(), smtpd_tls_wrappermode).
// No authentication; clients on 127.0.0.0/8 may relay to the configured domains. Mail for those
// domains goes over LMTP to 127.0.0.1:lmtp_port (a DovecotServer with DovecotOptions::lmtp), or
// is accepted and discarded when lmtp_port is 0. Everything else is refused (no local delivery,
// no relaying elsewhere, no DNS). Deferred mail is retried every second, not every five minutes.
//
// Life cycle: `postfix -c <etc> start` (the master daemonizes as root and its daemons run as
// mail_owner: the test account, see temp_dir.hpp); the master's PID comes from the queue's
// pid/master.pid. stop() runs `postfix -c <etc> stop`, then waits until the master and the
// daemons it had are gone (SIGKILL after a grace period). A small watchdog shell, started with a
// parent-death signal, runs `postfix stop` if the test process dies first, so a crashed test
// leaves no Postfix running (its temp dir stays, as for the other fixtures).
//
// Several instances run in parallel without sharing anything: own configuration, queue, data,
// ports and log. Postfix's master must start as root: constructing one without root throws.
// Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/server_process.hpp"
#include "harness/temp_dir.hpp"
#include "harness/tls_certificate.hpp"

namespace mailprune::test {

struct PostfixOptions {
  // Mail for these domains is accepted from loopback clients and relayed (see lmtp_port).
  std::vector<std::string> domains = {"example.org"};
  // LMTP server on 127.0.0.1 that receives mail for `domains`; 0 discards it.
  std::uint16_t lmtp_port = 0;
  // STARTTLS on smtp_port() and an implicit-TLS smtps_port(), with a fresh test certificate.
  bool tls = true;
  // "name = value" lines appended to main.cf as they are (later settings win).
  std::vector<std::string> extra_main_cf;
  std::chrono::milliseconds start_timeout = std::chrono::seconds(30);
};

class PostfixServer {
 public:
  // Writes the configuration, starts Postfix, and returns once smtpd greets with `220`. Retries
  // with new ports when a port was taken meanwhile. Throws std::runtime_error (with the log's
  // tail) on failure, naming the package to install when Postfix is missing.
  explicit PostfixServer(PostfixOptions options = {});
  PostfixServer(const PostfixServer&) = delete;
  PostfixServer& operator=(const PostfixServer&) = delete;
  // Stops Postfix and removes the temp dir.
  ~PostfixServer();

  // `postfix stop`, then waits for the master and its daemons to exit. Idempotent.
  void stop();
  bool running() const { return master_pid_ > 0; }

  // `postqueue -p`: what is still queued (for failure messages: why did a message not arrive?).
  std::string queue_listing() const;
  // `postqueue -f`: attempt delivery of everything queued now.
  void flush() const;
  // The last `bytes` of postfix.log.
  std::string log_tail(std::size_t bytes = 3000) const;

  const std::string& host() const { return host_; }
  std::uint16_t smtp_port() const { return smtp_port_; }
  std::uint16_t smtps_port() const { return smtps_port_; }             // 0 without tls
  const std::string& ca_path() const { return certificate_.ca_path; }  // trust this for (START)TLS
  pid_t master_pid() const { return master_pid_; }
  const std::string& config_dir() const { return config_dir_; }
  std::string log_path() const { return dir_ / "postfix.log"; }
  const std::string& temp_dir() const { return dir_.path(); }

 private:
  void write_config() const;
  bool start_once();
  std::string postfix_command(const std::string& verb) const;
  [[noreturn]] void fail(const std::string& why) const;

  PostfixOptions options_;
  TempDir dir_;
  TestCertificate certificate_;
  std::string config_dir_;
  std::string host_ = "127.0.0.1";
  std::uint16_t smtp_port_ = 0;
  std::uint16_t smtps_port_ = 0;
  pid_t master_pid_ = -1;
  ServerProcess watchdog_;
};

// A tiny blocking SMTP client for tests: connects to 127.0.0.1:`port`, EHLO, MAIL FROM, one
// RCPT TO per recipient, DATA (`message` with bare LF turned into CRLF and leading dots doubled),
// QUIT. Returns the server's reply to the end of data ("250 2.0.0 Ok: queued as ..."). Throws
// std::runtime_error with the conversation so far when a reply is not the expected 2xx/354 or
// nothing comes within `timeout`. Plaintext only.
std::string smtp_test_send(std::uint16_t port, const std::string& mail_from, const std::vector<std::string>& recipients,
                           const std::string& message, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// True when `pid` has exited (no such process, or a zombie nobody reaped yet: daemons like
// Postfix's master are reparented to init, which may reap late).
bool process_gone(pid_t pid);

}  // namespace mailprune::test
