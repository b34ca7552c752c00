// cyrus_server.hpp: a throwaway Cyrus IMAP 3.6 server for integration tests.
//
// Everything lives in one temp dir: imapd.conf and cyrus.conf, the config directory (mailboxes.db,
// sasldb2, proc, locks, sockets), the mail partition, the log and the TLS material (a fresh CA and
// server certificate per run, see tls_certificate.hpp). It listens on 127.0.0.1 only: a plaintext
// `imap` port (plaintext authentication allowed) and an implicit-TLS `imaps` port, both free ports.
//
// Binaries: `master`, `ctl_cyrusdb` from the cyrus-common package (/usr/lib/cyrus/bin); `imapd` from
// the cyrus-imapd package, which conflicts with Dovecot's and is therefore unpacked privately by
// scripts/setup into `$MAILPRUNE_CYRUS_ROOT` (default /usr/local/lib/mailprune-test/cyrus-imapd);
// `saslpasswd2` from sasl2-bin. Cyrus refuses to run as root: as root, master and everything in the
// temp dir belong to the test account (temp_dir.hpp), and `cyrus_user` names it.
//
// Users are SASL users in a private sasldb (auxprop), mechanisms PLAIN and LOGIN. Names with '@'
// are split by Cyrus into user and domain (`virtdomains: userid`); names without one get the
// server name ("localhost") as SASL realm. The admin (`admins:`) may create any user's mailbox and
// may authenticate as itself while acting as a user: SASL PLAIN with authorization identity = the
// user and authentication identity = the admin (mailprune's `login_as = "authzid"`). Cyrus allows
// this for `admins` without listing them in `proxyservers`; the session is then the user's own
// (their namespace, their rights). An admin logged in as itself sees users' mailboxes as
// `user/<name>` (a virtual-domain user's folders as `user/<local>/<folder>@<domain>`) but has only
// `l` and `a` rights on them: it cannot SELECT or APPEND there. So this fixture does everything
// inside a user's mailbox through such an authzid session.
//
// Namespace: hierarchy separator '/' (`unixhierarchysep: yes`). With `alt_namespace` (Cyrus 3's
// default, and ours) a user's folders sit beside INBOX ("Archives/Réunions"); without it they are
// under it ("INBOX/Archives/Réunions"). Folder names in this API are UTF-8 and '/'-separated, as in
// the sample-mail manifests; they are sent as modified UTF-7.
//
// Mail goes in over IMAP APPEND (LITERAL+, MULTIAPPEND for batches), keeping flags and
// INTERNALDATE: Cyrus's spool has its own index format, and `deliver`/LMTP cannot set either.
// Cyrus refuses messages with bare CR or LF or with NUL bytes (mailgen writes CRLF); 8-bit header
// bytes are kept as they are (`munge8bit: no`), so RFC822.SIZE equals the delivered size.
// Expunged messages stay on disk until `cyr_expire` (Cyrus 3's default `expunge_mode: delayed`).
//
// Logs: Cyrus daemons log only through syslog(3), and there is no /dev/log here. The fixture
// preloads syslog_to_file.so (built next to this library) into master, which passes it on to every
// process it spawns, so syslog lines land in `cyrus.log` in the temp dir, together with master's
// own stdout and stderr (`master -D`). log_tail() and every error message show its end.
//
// `master -D` stays in the foreground, so the PID we hold is master's; stop() sends it SIGTERM
// (it stops its children: "graceful shutdown") and SIGKILL after a grace period. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/dovecot_server.hpp"  // LoadResult, shared by the IMAP fixtures
#include "harness/imap_test_client.hpp"
#include "harness/sample_mail.hpp"
#include "harness/server_process.hpp"
#include "harness/temp_dir.hpp"
#include "harness/tls_certificate.hpp"

namespace mailprune::test {

struct CyrusOptions {
  std::string admin_user = "admin";
  std::string admin_password;  // "" generates one
  bool alt_namespace = true;   // folders beside INBOX (true) or under it (false)
  // Each user's quota root (`user/<name>`) gets this STORAGE limit, so GETQUOTAROOT answers; 0: no
  // quota root at all.
  std::uint64_t quota_kib = 100ull * 1024 * 1024;  // 100 GiB
  // Lines appended to imapd.conf as they are (Cyrus keeps the last value of a repeated key).
  std::vector<std::string> extra_config;
  std::chrono::milliseconds start_timeout = std::chrono::seconds(30);
};

class CyrusServer {
 public:
  // Writes the configuration, certificate and sasldb (with the admin), starts master, and returns
  // once the plaintext port greets with `* OK` and the TLS port completes a handshake with our
  // certificate. Throws std::runtime_error (with the log's tail, or what to install) on failure.
  explicit CyrusServer(CyrusOptions options = {});
  CyrusServer(const CyrusServer&) = delete;
  CyrusServer& operator=(const CyrusServer&) = delete;
  // Stops the server and removes the temp dir.
  ~CyrusServer();

  // Adds a SASL user, or changes their password, and creates their INBOX (`user/<name>`, with the
  // quota of the options) unless it exists. add_users() does many over one admin connection.
  void add_user(const std::string& name, const std::string& password);
  void add_users(const std::vector<std::pair<std::string, std::string>>& users);
  bool has_user(const std::string& name) const { return users_.count(name) > 0; }

  // Creates a folder ('/'-separated, UTF-8) and its parents, subscribed; no-op when it exists.
  void create_folder(const std::string& user, const std::string& folder);
  void create_folders(const std::string& user, const std::vector<std::string>& folders);

  // APPENDs one message to `folder` (created if needed) of an existing user, with IMAP system
  // flags and an INTERNALDATE. Throws std::runtime_error with Cyrus's answer when it refuses.
  void deliver(const std::string& user, const std::string& folder, std::string_view raw_message,
               const std::vector<std::string>& flags = {}, std::time_t internal_date = std::time(nullptr));

  // Delivers a generated set (see sample_mail.hpp): every user (with `password`), folder and
  // message, damaged ones included unless `skip_damaged`; then checks each folder's message count
  // (STATUS) against the manifest. One connection per user, messages batched with MULTIAPPEND.
  LoadResult load(const SampleMailSet& set, const std::string& password = "password", bool skip_damaged = false);
  LoadResult load(const std::string& manifest_dir, const std::string& password = "password");

  // A plaintext connection logged in as the admin itself.
  ImapTestClient connect_admin() const;
  // A plaintext connection in `user`'s own session: AUTHENTICATE PLAIN, authzid `user`, authcid the
  // admin, with the admin's password (no need to know the user's).
  ImapTestClient connect_as(const std::string& user) const;

  // The name of `folder` ("INBOX", "Archives/Réunions") in a user's own session, as sent over
  // IMAP: modified UTF-7, under "INBOX/" without alt_namespace.
  std::string mailbox_name(const std::string& folder) const;

  void stop();

  const std::string& host() const { return host_; }
  std::uint16_t imap_port() const { return imap_port_; }
  std::uint16_t imaps_port() const { return imaps_port_; }
  const std::string& ca_path() const { return certificate_.ca_path; }      // trust this
  const std::string& cert_path() const { return certificate_.cert_path; }  // what the server shows
  const std::string& admin_user() const { return options_.admin_user; }
  const std::string& admin_password() const { return options_.admin_password; }
  pid_t pid() const { return server_.pid(); }
  const std::string& config_path() const { return config_path_; }  // imapd.conf
  const std::string& log_path() const { return server_.log_path(); }
  std::string log_tail(std::size_t bytes = 3000) const { return server_.log_tail(bytes); }
  const std::string& temp_dir() const { return dir_.path(); }

 private:
  void write_config() const;
  void set_sasl_password(const std::string& name, const std::string& password) const;
  void create_folders(ImapTestClient& session, const std::string& user, const std::vector<std::string>& folders);
  [[noreturn]] void fail(const std::string& why) const { server_.fail(why); }

  CyrusOptions options_;
  TempDir dir_;
  TestCertificate certificate_;
  std::string config_path_;
  std::string cyrus_conf_path_;
  std::string host_ = "127.0.0.1";
  std::uint16_t imap_port_ = 0;
  std::uint16_t imaps_port_ = 0;
  std::map<std::string, std::string> users_;              // name -> password
  std::map<std::string, std::set<std::string>> folders_;  // user -> folders known to exist
  ServerProcess server_;
};

// The initial response of SASL PLAIN, base64: `authzid NUL authcid NUL password` (RFC 4616).
std::string sasl_plain_response(const std::string& authzid, const std::string& authcid, const std::string& password);

// An INTERNALDATE as IMAP writes it, in UTC: "02-Mar-2021 10:00:00 +0000".
std::string imap_internal_date(std::time_t time);

}  // namespace mailprune::test
