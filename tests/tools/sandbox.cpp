// mailprune-sandbox: a private Dovecot loaded with generated sample mailboxes, and a mailprune
// configuration pointing at it, for scripts/demo and the benchmarks.
//
//   mailprune-sandbox --dir DIR [--users N] [--messages M] [--size-scale F] [--seed S] [--damaged K]
//                     [--postfix] [--http-port P] [-- COMMAND ARGS...]
//
// Generates the mail into DIR/mail (tests/tools/mailgen.py; reused when the same options made
// it before), starts Dovecot on loopback (implicit TLS with a fresh CA), loads the mail, writes
// DIR/mailprune.toml (data_dir DIR/data, one [[source]] with the master user, ca_file, and
// mailboxes_file = the generated agents.csv; [server] listen and [archive] public_url on
// 127.0.0.1:P, a free port when P is 0) and prints what is there. With --postfix (root only:
// Postfix's master starts as root) a private Postfix on loopback relays mail for the sample
// domain over LMTP into the same Dovecot, and the configuration's [smtp] points at it (STARTTLS,
// its CA), so campaign e-mails land in the sample mailboxes' INBOX. Then it runs COMMAND with
// MAILPRUNE_CONFIG set (and MAILPRUNE_SANDBOX_IMAP_PORT, _PASSWORD_FILE for independent readers)
// and stops Postfix and Dovecot by PID, returning COMMAND's exit code; without a COMMAND it
// waits for SIGINT/SIGTERM.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "harness/dovecot_server.hpp"
#include "harness/postfix_server.hpp"
#include "harness/sample_mail.hpp"
#include "harness/temp_dir.hpp"
#include "platform/process.hpp"

namespace fs = std::filesystem;
using mailprune::test::DovecotServer;

namespace {

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int unit = 0;
  while (bytes >= 1000 && unit < 4) {
    bytes /= 1000;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[unit]);
}

void write_private(const fs::path& path, const std::string& content) {
  std::ofstream(path, std::ios::trunc) << content;
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
}

volatile sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"A private Dovecot with generated sample mailboxes, and a mailprune configuration for it.",
               "mailprune-sandbox"};
  std::string dir;
  mailprune::test::MailgenOptions mail;
  mail.users = 8;
  mail.messages = 40;
  mail.size_scale = 0.05;
  std::vector<std::string> command;
  bool with_postfix = false;
  int http_port = 0;
  app.add_option("--dir", dir, "working folder (mail, configuration, mailprune's data)")->required();
  app.add_option("--users", mail.users, "mailboxes to generate")->capture_default_str();
  app.add_option("--messages", mail.messages, "messages per mailbox")->capture_default_str();
  app.add_option("--size-scale", mail.size_scale, "attachment size factor (1.0: KB to a few MB)")
      ->capture_default_str();
  app.add_option("--seed", mail.seed, "generator seed")->capture_default_str();
  app.add_option("--damaged", mail.damaged, "damaged messages to add")->capture_default_str();
  app.add_flag("--postfix", with_postfix,
               "a private Postfix delivering into the sandbox's Dovecot, as the [smtp] server (root only)");
  app.add_option("--http-port", http_port, "port of `mailprune serve` in the configuration (0: a free one)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("command", command, "command to run against the sandbox (after --)");
  app.positionals_at_end();
  CLI11_PARSE(app, argc, argv);

  try {
    fs::create_directories(dir);
    dir = fs::canonical(dir).string();
    fs::path mail_dir = fs::path(dir) / "mail";
    std::string stamp = fmt::format("users={} messages={} scale={} seed={} damaged={}", mail.users, mail.messages,
                                    mail.size_scale, mail.seed, mail.damaged);
    fs::path stamp_file = fs::path(dir) / "mail.options";
    std::string previous;
    if (std::ifstream in(stamp_file); in) std::getline(in, previous);
    mailprune::test::SampleMailSet set;
    if (previous == stamp && fs::exists(mail_dir / "manifest.json")) {
      set = mailprune::test::read_sample_mail(mail_dir.string());
      fmt::print("sandbox: reusing the sample mail in {} ({})\n", mail_dir.string(), stamp);
    } else {
      fmt::print("sandbox: generating sample mail ({}) ...\n", stamp);
      std::fflush(stdout);
      fs::remove_all(mail_dir);
      set = mailprune::test::generate_sample_mail(mail_dir.string(), mail);
      std::ofstream(stamp_file) << stamp << "\n";
    }

    mailprune::test::DovecotOptions dovecot_options;
    dovecot_options.lmtp = with_postfix;
    DovecotServer dovecot(dovecot_options);
    auto loaded = dovecot.load(set);
    fmt::print(
        "sandbox: Dovecot (PID {}) on 127.0.0.1: IMAP port {}, IMAPS port {}; {} messages in {} folders loaded "
        "in {} ms\n",
        dovecot.pid(), dovecot.imap_port(), dovecot.imaps_port(), loaded.messages, loaded.folders,
        loaded.elapsed.count());

    std::optional<mailprune::test::PostfixServer> postfix;
    if (with_postfix) {
      if (::geteuid() != 0) throw std::runtime_error("--postfix needs root: Postfix's master starts as root");
      mailprune::test::PostfixOptions postfix_options;
      postfix_options.lmtp_port = dovecot.lmtp_port();
      postfix.emplace(postfix_options);
      fmt::print(
          "sandbox: Postfix (master PID {}) on 127.0.0.1: SMTP port {} (STARTTLS), delivering to Dovecot's "
          "LMTP port {}\n",
          postfix->master_pid(), postfix->smtp_port(), dovecot.lmtp_port());
    }
    if (http_port == 0) http_port = mailprune::test::free_port();

    fs::path password_file = fs::path(dir) / "imap-password";
    write_private(password_file, dovecot.master_password() + "\n");
    fs::path config = fs::path(dir) / "mailprune.toml";
    std::ofstream(config, std::ios::trunc) << fmt::format(
        "# Written by mailprune-sandbox: mailprune's configuration for the sandbox's Dovecot.\n"
        "data_dir = \"{}/data\"\n\n"
        "[[source]]\n"
        "name = \"sandbox\"\n"
        "host = \"127.0.0.1\"\n"
        "port = {}\n"
        "tls = \"implicit\"\n"
        "ca_file = \"{}\"\n"
        "user = \"{}\"\n"
        "password_file = \"{}\"\n"
        "login_as = \"master\"\n"
        "max_connections = 4\n"
        "mailboxes_file = \"mail/agents.csv\"\n\n"
        "[server]\n"
        "listen = [\"127.0.0.1:{}\"]\n\n"
        "[archive]\n"
        "public_url = \"http://127.0.0.1:{}\"\n",
        dir, dovecot.imaps_port(), dovecot.ca_path(), dovecot.master_user(), password_file.string(), http_port,
        http_port);
    if (postfix) {
      std::ofstream(config, std::ios::app) << fmt::format(
          "\n[smtp]\n"
          "url = \"smtp://127.0.0.1:{}\"\n"
          "tls = \"starttls\"\n"
          "ca_file = \"{}\"\n"
          "from = \"Service informatique <dsi@example.org>\"\n"
          "rate_per_minute = 0\n"
          "timeout_seconds = 20\n",
          postfix->smtp_port(), postfix->ca_path());
    }

    // What is there: per mailbox, folders, messages and bytes (from the manifest).
    struct Totals {
      std::size_t folders = 0;
      std::size_t messages = 0;
      std::uint64_t bytes = 0;
    };
    std::map<std::string, Totals> per_user;
    for (const auto& f : set.folders) ++per_user[f.user].folders;
    for (const auto& m : set.messages) {
      ++per_user[m.user].messages;
      per_user[m.user].bytes += m.size;
    }
    fmt::print("\n{:<28} {:>8} {:>9} {:>10}\n", "MAILBOX", "FOLDERS", "MESSAGES", "SIZE");
    Totals all;
    for (const auto& [user, t] : per_user) {
      fmt::print("{:<28} {:>8} {:>9} {:>10}\n", user, t.folders, t.messages, human_bytes(static_cast<double>(t.bytes)));
      all.folders += t.folders;
      all.messages += t.messages;
      all.bytes += t.bytes;
    }
    fmt::print("{:<28} {:>8} {:>9} {:>10}\n\n", "total", all.folders, all.messages,
               human_bytes(static_cast<double>(all.bytes)));
    fmt::print("sandbox: mailprune configuration in {}\n", config.string());
    std::fflush(stdout);

    if (command.empty()) {
      signal(SIGINT, on_signal);
      signal(SIGTERM, on_signal);
      fmt::print("sandbox: running; stop with Ctrl-C or SIGTERM\n");
      std::fflush(stdout);
      while (!g_stop) pause();
      return 0;
    }
    mailprune::platform::SpawnOptions options;
    options.argv = command;
    options.extra_env = {"MAILPRUNE_CONFIG=" + config.string(),
                         "MAILPRUNE_SANDBOX_IMAP_PORT=" + std::to_string(dovecot.imap_port()),
                         "MAILPRUNE_SANDBOX_MASTER_USER=" + dovecot.master_user(),
                         "MAILPRUNE_SANDBOX_PASSWORD_FILE=" + password_file.string()};
    options.new_session = false;  // the terminal's Ctrl-C reaches the command too
    int code = mailprune::platform::spawn(options).wait();
    return code;
  } catch (const std::exception& e) {
    fmt::print(stderr, "mailprune-sandbox: {}\n", e.what());
    return 1;
  }
}
