// config.hpp: mailprune's configuration, as loaded from TOML (see config/mailprune.example.toml
// and docs/configuration.md, which document every key).
//
// Every key has a default, so an empty file, or no file at all, is a valid configuration. Values
// are plain data once loaded: copy freely, share read-only between threads.
#pragma once

#include <string>
#include <vector>

#include "config/secret.hpp"

namespace mailprune::config {

enum class LogFormat { automatic, text, json };

struct LogConfig {
  std::string level = "info";  // trace | debug | info | warn | error | off
  LogFormat format = LogFormat::automatic;
};

struct DatabaseConfig {
  // libpq URI or keyword string of an existing server. Empty: the embedded private cluster.
  std::string url;
  // Password for `url` (from database.password_env / database.password_file). Never inline.
  Secret password;
  // Embedded cluster: folder holding initdb/pg_ctl/postgres; empty searches the usual places.
  std::string postgres_bindir;
  // Embedded cluster, when mailprune runs as root: the account that runs PostgreSQL (it refuses
  // to run as root). Empty picks `mailprune`, then `postgres`.
  std::string embedded_account;
};

// One agent's mailbox, from `mailboxes` or `mailboxes_file` (agents.csv).
struct Agent {
  std::string address;
  std::string display_name;
  std::string team;
  std::string language = "fr";  // fr | en
};

enum class TlsMode { implicit, starttls, none };
enum class ImapAuth { plain, login, xoauth2 };
enum class LoginAs { master, authzid, self };
enum class EwsAuth { basic, ntlm, oauth2 };

// A [[source]]: one mail server and the mailboxes mailprune works on there.
// Keys common to both kinds, then IMAP's (kind = "imap"), then EWS's (kind = "ews").
struct SourceConfig {
  std::string name;
  std::string kind = "imap";  // imap | ews
  bool tls_verify = true;     // certificate and host name; false is logged as a warning
  std::string ca_file;        // "" uses the system CAs
  int max_connections = 4;
  int timeout_seconds = 60;      // every connect and read (EWS: every request)
  std::vector<Agent> mailboxes;  // from `mailboxes` and `mailboxes_file` together
  std::string mailboxes_file;    // as written (resolved against the config file's folder)
  std::string user;              // IMAP: the admin (master) account; EWS: the service account
  Secret password;               // password_env / password_file (IMAP xoauth2: the access token)

  // IMAP
  std::string host;
  int port = 993;  // default: 993 with implicit TLS, 143 otherwise
  TlsMode tls = TlsMode::implicit;
  ImapAuth auth = ImapAuth::plain;
  LoginAs login_as = LoginAs::master;
  std::string master_separator = "*";  // Dovecot's auth_master_user_separator
  bool compress = true;                // COMPRESS=DEFLATE when offered (see docs/benchmarks.md)

  // EWS
  std::string url;  // https://mail.example.org/EWS/Exchange.asmx
  EwsAuth ews_auth = EwsAuth::ntlm;
  bool impersonation = true;                        // ExchangeImpersonation header + X-AnchorMailbox per mailbox
  std::string server_version = "Exchange2013_SP1";  // RequestServerVersion
  std::string token_url;                            // oauth2: the token endpoint (client credentials grant)
  std::string client_id;                            // oauth2
  Secret client_secret;                             // oauth2: client_secret_env / client_secret_file
  std::string scope;                                // oauth2
  // Exchange's attachment Size counts the attachment object with its properties, so by default it
  // is an estimate (duplicate hashing then reads colliding content); true for servers that report
  // decoded sizes (the test server).
  bool attachment_sizes_exact = false;
};

struct Config {
  // The file this was read from; empty when built-in defaults are used.
  std::string source_path;
  // Where mailprune keeps its state (embedded database, later the archive store). Never empty
  // after loading: see default_data_dir().
  std::string data_dir;
  LogConfig log;
  DatabaseConfig database;
  std::vector<SourceConfig> sources;
};

// /var/lib/mailprune as root; otherwise $XDG_DATA_HOME/mailprune or ~/.local/share/mailprune.
std::string default_data_dir();

}  // namespace mailprune::config
