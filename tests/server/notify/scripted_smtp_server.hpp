// scripted_smtp_server.hpp: a tiny SMTP server on 127.0.0.1 (a free port) that answers each
// command with the reply its script gives, for testing SmtpSender's handling of what real servers
// say: 4xx and 5xx at every step, a dropped connection, no STARTTLS.
//
// One background thread serves connections one after another (several transactions per
// connection, as libcurl reuses them). Plaintext only. What clients sent is recorded: commands
// (AUTH arguments included, tests use fake secrets) and each message received (dot-stuffing
// undone, CRLF kept). Stopped and joined by the destructor.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mailprune::notify::test {

// Replies by step; a reply may span lines ("250-a\r\n250 b"). An empty reply closes the
// connection instead of answering (a server that died mid-transaction).
struct SmtpScript {
  std::string greeting = "220 scripted.test ESMTP ready";
  std::string ehlo = "250-scripted.test\r\n250-8BITMIME\r\n250 AUTH PLAIN";  // AUTH PLAIN with initial response
  std::string auth = "235 2.7.0 Authentication successful";
  std::string mail = "250 2.1.0 Ok";
  std::string rcpt = "250 2.1.5 Ok";
  std::string data = "354 End data with <CR><LF>.<CR><LF>";
  std::string end_of_data = "250 2.0.0 Ok: queued as SCRIPTED1";
  std::string quit = "221 2.0.0 Bye";
  // Close the connection right after answering the end of data (an idle timeout, early).
  bool close_after_message = false;
};

class ScriptedSmtpServer {
 public:
  explicit ScriptedSmtpServer(SmtpScript script);
  ScriptedSmtpServer(const ScriptedSmtpServer&) = delete;
  ScriptedSmtpServer& operator=(const ScriptedSmtpServer&) = delete;
  ~ScriptedSmtpServer();

  std::uint16_t port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  // Commands received so far, without CRLF ("EHLO host", "MAIL FROM:<a@b>", ...).
  std::vector<std::string> commands() const;
  // Messages received in full (up to the final "."), as the client meant them.
  std::vector<std::string> messages() const;
  int connections() const { return connections_.load(); }

 private:
  void serve();
  void serve_connection(int fd);

  SmtpScript script_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> commands_;
  std::vector<std::string> messages_;
  std::thread thread_;
};

}  // namespace mailprune::notify::test
