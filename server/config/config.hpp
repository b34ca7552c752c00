// config.hpp: mailprune's configuration, as loaded from TOML (see config/mailprune.example.toml
// and docs/configuration.md, which document every key).
//
// Every key has a default, so an empty file, or no file at all, is a valid configuration. Values
// are plain data once loaded: copy freely, share read-only between threads.
#pragma once

#include <string>
#include <vector>

#include "config/policy_config.hpp"
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
  bool catenate = true;                // detach with APPEND CATENATE when offered (only new bytes travel)

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

// [archive]: where detached attachments are kept, and the signed links left in their place.
struct ArchiveConfig {
  // The content-addressed store's root (an absolute path). Empty: <data_dir>/archive.
  std::string dir;
  // mailprune's HTTP server as agents' mail clients reach it; links are <public_url>/archive/...
  std::string public_url = "http://localhost:8080";
  // How long a link stays valid, in days; 0: links never expire (archived attachments must stay
  // reachable for years).
  int link_valid_days = 0;
  // The key links are signed with (link_key_env / link_key_file: 64 hex digits or base64 of at
  // least 32 random bytes). Empty: a key generated once under <data_dir>/keys/links.key.
  Secret link_key;
};

// [server]: `mailprune serve`, the HTTP server (review pages, archive links, /healthz).
struct ServerConfig {
  // Addresses to listen on, "IP:PORT" or "[IPv6]:PORT" (port 0: any free port, for tests).
  std::vector<std::string> listen = {"127.0.0.1:8080"};
  int threads = 2;  // I/O threads (handlers run on them too)
  // HTTPS: both set, or neither (plain HTTP; a reverse proxy in front usually terminates TLS).
  std::string tls_cert_file;          // PEM, the certificate chain (resolved against the config file's folder)
  std::string tls_key_file;           // PEM, the private key
  int header_timeout_seconds = 10;    // from a request's first byte to the end of its header
  int body_timeout_seconds = 30;      // to receive a request's body
  int idle_timeout_seconds = 60;      // an idle keep-alive connection is closed after this
  int write_timeout_seconds = 30;     // each write of a response to a slow reader
  int shutdown_timeout_seconds = 10;  // on SIGTERM: time in-flight requests get to finish
  int max_header_bytes = 8192;        // larger request headers get 431
  int max_body_bytes = 1048576;       // larger request bodies get 413 (routes may say otherwise)
  int max_requests_per_connection = 1000;
  // Peers (IP addresses of reverse proxies) whose X-Forwarded-For names the client's address.
  std::vector<std::string> trusted_proxies;
  // Admin session cookies are marked Secure even on plain-HTTP connections (TLS ends at a proxy in
  // front); they always are on TLS connections (server/auth/session.hpp).
  bool secure_cookies = false;
  // Who may read GET /metrics: "open" (anyone who reaches the server) or "viewer" (an admin
  // console session or an API token with at least the viewer role; docs/api.md#metrics).
  std::string metrics_access = "open";
};

// [progress]: the campaigns' live progress pages (server/progress; which campaign shows one, and to
// whom, is set per campaign with `mailprune campaign progress-page`).
struct ProgressConfig {
  // A page's figures are computed at most once per this many seconds, whatever the number of
  // viewers; live updates (Server-Sent Events) follow the same pace.
  int refresh_seconds = 2;
  // Pages that may show the progress page in an <iframe> (CSP frame-ancestors sources): "'self'",
  // "https://intranet.example.org", "https://*.example.org". Empty: no page may frame it.
  std::vector<std::string> frame_ancestors;
};

// [smtp]: the mail server that notification, reminder and progress emails are sent through
// (server/notify/smtp_sender.hpp).
enum class SmtpTls {
  starttls,       // STARTTLS required: refuse to send over a connection that cannot be encrypted
  opportunistic,  // STARTTLS when the server offers it, plaintext otherwise
  implicit,       // TLS from the first byte (smtps://, port 465)
  none,           // plaintext (a local MTA on loopback)
};

struct SmtpConfig {
  std::string url = "smtp://127.0.0.1:25";  // smtp://HOST[:PORT], or smtps:// with tls = implicit
  SmtpTls tls = SmtpTls::starttls;
  std::string user;  // SMTP AUTH account; empty: no authentication
  Secret password;   // password_env / password_file; required with `user`
  // The sender: From header and envelope (MAIL FROM). "Name <address>" or "address".
  std::string from = "mailprune <mailprune@localhost>";
  std::string reply_to;  // Reply-To header ("Name <address>"); empty: none
  std::string ca_file;   // PEM file of the CA(s) to trust; empty: the system's CAs
  bool tls_verify = true;
  int timeout_seconds = 60;  // connecting; one message's whole exchange: twice this
  int rate_per_minute = 60;  // campaign sending pace (messages per minute); 0: no limit
};

// [nightly]: `mailprune nightly` (server/nightly/nightly.hpp) and its schedule inside `serve`.
struct NightlyConfig {
  // "HH:MM", local time: `serve` runs the nightly run every day at that time; "" (the default):
  // serve never runs it (the systemd timer or cron does).
  std::string schedule;
  // A reminder round is sent once the approval deadline is this many days away or less (once per
  // campaign; the deadline not yet passed); 0: the nightly run sends no reminders.
  int reminder_days_before = 3;
};

struct Config {
  // The file this was read from; empty when built-in defaults are used.
  std::string source_path;
  // Where mailprune keeps its state (embedded database, archive store, keys). Never empty
  // after loading: see default_data_dir().
  std::string data_dir;
  LogConfig log;
  DatabaseConfig database;
  std::vector<SourceConfig> sources;
  ServerConfig server;
  ArchiveConfig archive;
  ProgressConfig progress;
  PolicyConfig policy;  // [policy], [[rule]], [[hold]] (config/policy_config.hpp)
  SmtpConfig smtp;
  NightlyConfig nightly;
};

// /var/lib/mailprune as root; otherwise $XDG_DATA_HOME/mailprune or ~/.local/share/mailprune.
std::string default_data_dir();

}  // namespace mailprune::config
