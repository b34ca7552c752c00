// dovecot_server.hpp: a throwaway Dovecot IMAP server for integration tests.
//
// Everything lives in one temp dir: dovecot.conf, base_dir (sockets), state_dir, the log, the TLS
// material (a fresh CA and server certificate per run, see tls_certificate.hpp), the passwd-files
// and the mail homes. It listens on 127.0.0.1 only: a plaintext `imap` port (plaintext
// authentication allowed) and an implicit-TLS `imaps` port, both free ports; optionally an LMTP
// port (DovecotOptions::lmtp) that delivers to the users' INBOX, for an MTA in front.
//
// Users are passwd-file entries (add_user() works before and after start: Dovecot re-reads the file
// when it changes). A master user logs in to any mailbox as `<user>*<master>` with the master
// password (Dovecot's auth_master_user_separator). Mail is Maildir++ under `mail/<user>/Maildir`,
// owned by the test account (mail processes run as it: Dovecot refuses root); folder separator
// `/`. Enabled beyond the defaults: quota (count backend, 100 GB: GETQUOTAROOT), COMPRESS=DEFLATE
// (imap_zlib), mailbox_list_index, 100 connections per user and IP.
//
// Mail is put in directly as Maildir files (maildir.hpp), not through IMAP or LDA, so loading is
// fast and independent of the code under test; folders are created with `doveadm mailbox create`,
// which also subscribes them.
//
// `dovecot -F` keeps the master in the foreground, so the PID we hold is the master's; stop() sends
// it SIGTERM (it stops its children) and SIGKILL after a grace period. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/maildir.hpp"
#include "harness/sample_mail.hpp"
#include "harness/server_process.hpp"
#include "harness/temp_dir.hpp"
#include "harness/tls_certificate.hpp"

namespace mailprune::test {

struct DovecotOptions {
  std::string master_user = "admin";
  std::string master_password;  // "" generates one
  bool quota = true;            // quota + imap_quota plugins
  bool compress = true;         // imap_zlib plugin: COMPRESS=DEFLATE
  int max_connections_per_user = 100;
  // An LMTP listener on a free 127.0.0.1 port (lmtp_port()), for an MTA (PostfixServer) to deliver
  // into the users' INBOX. Needs the dovecot-lmtpd package. Off by default.
  bool lmtp = false;
  // Lines appended to dovecot.conf as they are (later settings win).
  std::vector<std::string> extra_config;
  std::chrono::milliseconds start_timeout = std::chrono::seconds(30);
};

struct LoadResult {
  std::size_t messages = 0;
  std::size_t folders = 0;
  std::uint64_t bytes = 0;  // sum of RFC822.SIZE
  std::chrono::milliseconds elapsed{0};
};

class DovecotServer {
 public:
  // Writes the configuration and certificate, starts the server, and returns once the plaintext
  // port greets with `* OK`. Throws std::runtime_error (with the log's tail) on failure.
  explicit DovecotServer(DovecotOptions options = {});
  DovecotServer(const DovecotServer&) = delete;
  DovecotServer& operator=(const DovecotServer&) = delete;
  // Stops the server and removes the temp dir.
  ~DovecotServer();

  // Adds or replaces a user (and creates their mail home and INBOX).
  // Once running, returns when the auth service knows them (Dovecot re-reads the passwd-file at
  // most once a second). add_users() waits once for many.
  void add_user(const std::string& name, const std::string& password);
  void add_users(const std::vector<std::pair<std::string, std::string>>& users);
  bool has_user(const std::string& name) const { return users_.count(name) > 0; }

  // "<user>*<master user>": the login name for master access.
  std::string master_login(const std::string& user) const { return user + "*" + options_.master_user; }

  // Creates a folder ('/'-separated, UTF-8) and its parents, subscribed; no-op when it exists.
  void create_folder(const std::string& user, const std::string& folder);
  void create_folders(const std::string& user, const std::vector<std::string>& folders);

  // Puts one message into `folder` (created if needed) of an existing user, with IMAP system flags
  // and an INTERNALDATE. Works while clients are connected: they see it at their next sync.
  void deliver(const std::string& user, const std::string& folder, std::string_view raw_message,
               const std::vector<std::string>& flags = {}, std::time_t internal_date = std::time(nullptr));

  // Delivers a generated set (see sample_mail.hpp): every user (with `password`), folder and
  // message, damaged ones included unless `skip_damaged`; then lets Dovecot index every folder
  // (one `doveadm` run) and checks its message counts against the manifest.
  LoadResult load(const SampleMailSet& set, const std::string& password = "password", bool skip_damaged = false);
  LoadResult load(const std::string& manifest_dir, const std::string& password = "password");

  // Runs `doveadm -c <conf> <args...>`; throws std::runtime_error on failure; returns its output.
  std::string doveadm(const std::vector<std::string>& args) const;

  void stop();

  const std::string& host() const { return host_; }
  std::uint16_t imap_port() const { return imap_port_; }
  std::uint16_t imaps_port() const { return imaps_port_; }
  // 0 unless DovecotOptions::lmtp.
  std::uint16_t lmtp_port() const { return lmtp_port_; }
  const std::string& ca_path() const { return certificate_.ca_path; }      // trust this
  const std::string& cert_path() const { return certificate_.cert_path; }  // what the server shows
  const std::string& master_user() const { return options_.master_user; }
  const std::string& master_password() const { return options_.master_password; }
  std::string home_of(const std::string& user) const;
  std::string maildir_of(const std::string& user) const { return home_of(user) + "/Maildir"; }
  std::string folder_dir(const std::string& user, const std::string& folder) const {
    return maildir_folder_path(maildir_of(user), folder);
  }
  pid_t pid() const { return server_.pid(); }
  const std::string& config_path() const { return config_path_; }
  const std::string& log_path() const { return server_.log_path(); }
  const std::string& temp_dir() const { return dir_.path(); }

 private:
  void write_config();
  void write_users() const;
  MaildirOwner owner() const;

  DovecotOptions options_;
  TempDir dir_;
  TestCertificate certificate_;
  std::string config_path_;
  std::string host_ = "127.0.0.1";
  std::uint16_t imap_port_ = 0;
  std::uint16_t imaps_port_ = 0;
  std::uint16_t lmtp_port_ = 0;
  std::map<std::string, std::string> users_;  // name -> password
  ServerProcess server_;
};

}  // namespace mailprune::test
