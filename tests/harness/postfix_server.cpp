#include "harness/postfix_server.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace mailprune::test {

namespace {

const char* const kPostfix = "/usr/sbin/postfix";
const char* const kPostqueue = "/usr/sbin/postqueue";

// The fields of /proc/<pid>/stat after the command name: "S 1234 ..." (state, parent PID, ...).
std::string stat_after_name(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  auto close = line.rfind(')');
  return close == std::string::npos || close + 2 > line.size() ? "" : line.substr(close + 2);
}

// Processes whose parent is `parent` right now.
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> children;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return children;
  while (dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || pid <= 0) continue;
    std::istringstream fields(stat_after_name(static_cast<pid_t>(pid)));
    std::string state;
    long ppid = 0;
    if (fields >> state >> ppid && ppid == parent) children.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(proc);
  return children;
}

// Waits until `pid` is gone; false after `timeout`.
bool wait_gone(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!process_gone(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

}  // namespace

bool process_gone(pid_t pid) {
  if (pid <= 0) return true;
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  const std::string fields = stat_after_name(pid);
  return !fields.empty() && (fields[0] == 'Z' || fields[0] == 'X');
}

PostfixServer::PostfixServer(PostfixOptions options) : options_(std::move(options)), dir_("postfix") {
  if (::access(kPostfix, X_OK) != 0) throw std::runtime_error("postfix not found; install postfix (run scripts/setup)");
  if (!platform::running_as_root()) {
    throw std::runtime_error("PostfixServer needs root: Postfix's master starts as root and drops to mail_owner");
  }
  if (::getgrnam("postdrop") == nullptr) {
    throw std::runtime_error("group 'postdrop' (Postfix's setgid_group) is missing; reinstall postfix");
  }
  if (options_.domains.empty()) throw std::invalid_argument("PostfixServer: no domain to deliver to");
  config_dir_ = dir_.make_subdir("etc", false, 0755);
  dir_.make_subdir("queue", false, 0755);
  dir_.make_subdir("data", true, 0700);
  if (options_.tls) certificate_ = make_test_certificate(dir_.make_subdir("tls", false, 0700));

  for (int attempt = 1; !start_once(); ++attempt) {
    if (attempt == 5) fail("did not start 5 times in a row");
  }

  // The watchdog: if this process dies, the parent-death signal makes the shell stop Postfix.
  platform::SpawnOptions watchdog;
  watchdog.argv = {"/bin/sh", "-c",
                   "trap 'exec " + std::string(kPostfix) + " -c \"$0\" stop' TERM; while :; do sleep 1; done",
                   config_dir_};
  watchdog_.start(watchdog, "postfix watchdog", dir_ / "watchdog.log", SIGKILL, SIGTERM);

  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (read_greeting(smtp_port_).rfind("220 ", 0) != 0) {
    if (std::chrono::steady_clock::now() >= deadline || process_gone(master_pid_)) {
      stop();
      fail("smtpd on port " + std::to_string(smtp_port_) + " does not greet");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

PostfixServer::~PostfixServer() {
  stop();
}

bool PostfixServer::start_once() {
  smtp_port_ = free_port();
  smtps_port_ = 0;
  if (options_.tls) {
    do {
      smtps_port_ = free_port();
    } while (smtps_port_ == smtp_port_);
  }
  write_config();
  // `start` checks the configuration, creates the queue with Postfix's ownership rules, and
  // returns once the master has bound its listeners (master -w): a port taken meanwhile makes it
  // fail, and we retry with new ports.
  auto started = platform::run({kPostfix, "-c", config_dir_, "start"});
  if (started.exit_code != 0) {
    std::ofstream(log_path(), std::ios::app) << "[harness] postfix start failed:\n" << started.output << "\n";
    return false;
  }
  std::ifstream pid_file(dir_ / "queue/pid/master.pid");
  long pid = 0;
  if (!(pid_file >> pid) || pid <= 0) fail("no master PID in queue/pid/master.pid after start");
  master_pid_ = static_cast<pid_t>(pid);
  return true;
}

void PostfixServer::write_config() const {
  const std::string relay_transport = options_.lmtp_port == 0
                                          ? std::string("discard:no LMTP server configured")
                                          : "lmtp:inet:127.0.0.1:" + std::to_string(options_.lmtp_port);
  std::ostringstream m;
  m << "# Written by the mailprune test harness (tests/harness/postfix_server.cpp); throwaway.\n"
    << "compatibility_level = 3.6\n"
    << "config_directory = " << config_dir_ << "\n"
    << "queue_directory = " << (dir_ / "queue") << "\n"
    << "data_directory = " << (dir_ / "data") << "\n"
    << "mail_owner = " << test_account().name << "\n"
    << "setgid_group = postdrop\n"
    << "maillog_file = " << log_path() << "\n"
    << "maillog_file_prefixes = " << dir_.path() << "\n"
    << "inet_interfaces = " << host_ << "\n"
    << "inet_protocols = ipv4\n"
    << "myhostname = mailprune-test.localdomain\n"
    << "mydomain = localdomain\n"
    << "mydestination =\n"
    << "mynetworks = 127.0.0.0/8\n"
    << "local_recipient_maps =\n"
    << "local_transport = error:5.1.1 no local delivery in the test Postfix\n"
    << "alias_maps =\n"
    << "alias_database =\n"
    << "relay_domains = " << join(options_.domains, " ") << "\n"
    << "relay_recipient_maps =\n"
    << "relay_transport = " << relay_transport << "\n"
    << "default_transport = error:5.7.1 the test Postfix relays to its own domains only\n"
    << "smtpd_peername_lookup = no\n"
    << "smtp_dns_support_level = disabled\n"
    << "lmtp_dns_support_level = disabled\n"
    << "biff = no\n"
    << "append_dot_mydomain = no\n"
    << "smtpd_error_sleep_time = 0\n"
    // Tests wait for delivery: retry deferred mail at once, not after five minutes.
    << "queue_run_delay = 1s\n"
    << "minimal_backoff_time = 1s\n"
    << "maximal_backoff_time = 2s\n";
  if (options_.tls) {
    m << "smtpd_tls_cert_file = " << certificate_.cert_path << "\n"
      << "smtpd_tls_key_file = " << certificate_.key_path << "\n"
      << "smtpd_tls_security_level = may\n"
      << "smtpd_tls_loglevel = 1\n";
  }
  for (const auto& line : options_.extra_main_cf) m << line << "\n";
  write_file(config_dir_ + "/main.cf", m.str(), 0644);

  // No chroot anywhere (column 5 = n): the daemons read our temp dir directly.
  std::ostringstream c;
  c << "# Written by the mailprune test harness (tests/harness/postfix_server.cpp); throwaway.\n"
    << host_ << ":" << smtp_port_ << " inet n - n - - smtpd\n";
  if (options_.tls) c << host_ << ":" << smtps_port_ << " inet n - n - - smtpd -o smtpd_tls_wrappermode=yes\n";
  c << "pickup unix n - n 60 1 pickup\n"
    << "cleanup unix n - n - 0 cleanup\n"
    << "qmgr unix n - n 300 1 qmgr\n"
    << "tlsmgr unix - - n 1000? 1 tlsmgr\n"
    << "rewrite unix - - n - - trivial-rewrite\n"
    << "bounce unix - - n - 0 bounce\n"
    << "defer unix - - n - 0 bounce\n"
    << "trace unix - - n - 0 bounce\n"
    << "verify unix - - n - 1 verify\n"
    << "flush unix n - n 1000? 0 flush\n"
    << "proxymap unix - - n - - proxymap\n"
    << "smtp unix - - n - - smtp\n"
    << "relay unix - - n - - smtp\n"
    << "showq unix n - n - - showq\n"
    << "error unix - - n - - error\n"
    << "retry unix - - n - - error\n"
    << "discard unix - - n - - discard\n"
    << "lmtp unix - - n - - lmtp\n"
    << "anvil unix - - n - 1 anvil\n"
    << "scache unix - - n - 1 scache\n"
    << "postlog unix-dgram n - n - 1 postlogd\n";
  write_file(config_dir_ + "/master.cf", c.str(), 0644);
}

void PostfixServer::stop() {
  if (master_pid_ <= 0) return;
  watchdog_.stop();
  const pid_t master = master_pid_;
  master_pid_ = -1;
  const std::vector<pid_t> daemons = children_of(master);
  platform::run({kPostfix, "-c", config_dir_, "stop"});
  if (!wait_gone(master, std::chrono::seconds(15))) {
    ::kill(master, SIGKILL);
    wait_gone(master, std::chrono::seconds(5));
  }
  // The daemons notice their master is gone and exit; wait, so the temp dir can be removed.
  for (pid_t daemon : daemons) {
    if (!wait_gone(daemon, std::chrono::seconds(5))) {
      ::kill(daemon, SIGKILL);
      wait_gone(daemon, std::chrono::seconds(2));
    }
  }
}

std::string PostfixServer::queue_listing() const {
  return platform::run({kPostqueue, "-c", config_dir_, "-p"}).output;
}

void PostfixServer::flush() const {
  run_checked({kPostqueue, "-c", config_dir_, "-f"});
}

std::string PostfixServer::log_tail(std::size_t bytes) const {
  std::ifstream in(log_path(), std::ios::binary | std::ios::ate);
  if (!in) return "(no log at " + log_path() + ")";
  auto size = static_cast<std::size_t>(in.tellg());
  std::size_t start = size > bytes ? size - bytes : 0;
  in.seekg(static_cast<std::streamoff>(start));
  std::string tail(size - start, '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  return tail;
}

void PostfixServer::fail(const std::string& why) const {
  throw std::runtime_error("postfix: " + why + "\n--- " + log_path() + " (tail) ---\n" + log_tail());
}

// ---- the tiny SMTP client ----

namespace {

class SmtpTestConnection {
 public:
  SmtpTestConnection(std::uint16_t port, std::chrono::milliseconds timeout) : timeout_(timeout) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("smtp_test_send: socket failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      throw std::runtime_error("smtp_test_send: cannot connect to 127.0.0.1:" + std::to_string(port));
    }
  }
  SmtpTestConnection(const SmtpTestConnection&) = delete;
  SmtpTestConnection& operator=(const SmtpTestConnection&) = delete;
  ~SmtpTestConnection() { ::close(fd_); }

  void send(const std::string& bytes) {
    transcript_ += bytes.size() > 200 ? "C: (" + std::to_string(bytes.size()) + " bytes)\n" : "C: " + bytes;
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("send failed");
      done += static_cast<std::size_t>(n);
    }
  }

  // One whole reply (continuation lines "250-..." up to "250 ..."), lines joined with "\n".
  std::string reply(char expected_class, int expected_code = 0) {
    std::string reply;
    for (;;) {
      std::string line = read_line();
      transcript_ += "S: " + line + "\n";
      reply += (reply.empty() ? "" : "\n") + line;
      if (line.size() < 4 || line[3] != '-') break;
    }
    if (reply.empty() || reply[0] != expected_class ||
        (expected_code != 0 && reply.rfind(std::to_string(expected_code), 0) != 0)) {
      fail("unexpected reply");
    }
    return reply;
  }

  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error("smtp_test_send: " + why + "\n" + transcript_);
  }

 private:
  std::string read_line() {
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    for (;;) {
      auto end = buffer_.find("\r\n");
      if (end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) fail("no reply in time");
      char chunk[1024];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) fail("connection closed by the server");
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buffer_;
  std::string transcript_;
};

}  // namespace

std::string smtp_test_send(std::uint16_t port, const std::string& mail_from, const std::vector<std::string>& recipients,
                           const std::string& message, std::chrono::milliseconds timeout) {
  SmtpTestConnection smtp(port, timeout);
  smtp.reply('2', 220);
  smtp.send("EHLO harness.localdomain\r\n");
  smtp.reply('2', 250);
  smtp.send("MAIL FROM:<" + mail_from + ">\r\n");
  smtp.reply('2');
  for (const auto& recipient : recipients) {
    smtp.send("RCPT TO:<" + recipient + ">\r\n");
    smtp.reply('2');
  }
  smtp.send("DATA\r\n");
  smtp.reply('3', 354);
  // CRLF line ends, and dot-stuffing (RFC 5321 4.5.2).
  std::string data;
  bool line_start = true;
  for (std::size_t i = 0; i < message.size(); ++i) {
    char c = message[i];
    if (line_start && c == '.') data += '.';
    if (c == '\n' && (i == 0 || message[i - 1] != '\r')) data += '\r';
    data += c;
    line_start = c == '\n';
  }
  if (!line_start) data += "\r\n";
  data += ".\r\n";
  smtp.send(data);
  std::string queued = smtp.reply('2', 250);
  smtp.send("QUIT\r\n");
  smtp.reply('2');
  return queued;
}

}  // namespace mailprune::test
