// cli_crawl.hpp: the `mailprune` binary as an operator runs it (crawl, report summary, report
// duplicates), against a fresh database of the harness's shared PostgreSQL, with a configuration
// file written per test, of IMAP and/or EWS sources.
//
// database.url refuses a URL carrying a password, so the URL from create_database() is written
// without it and the password goes through database.password_env; each source's password goes
// through its own password_env too. Secrets are only ever in the child's environment.
//
// The sources the tests describe again and again (the harness's Dovecot and Cyrus, the EWS test
// server) have one helper each below; a test changes what it needs in the returned CliSource.
//
// Header-only: shared by the integration tests that need the binary (their target defines
// MAILPRUNE_BINARY and depends on `mailprune`). Not thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <cstdint>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/cyrus_server.hpp"
#include "harness/dovecot_server.hpp"
#include "harness/postgres_server.hpp"
#include "harness/temp_dir.hpp"
#include "platform/process.hpp"

namespace mailprune::test {

// One [[source]] of the configuration: an IMAP server (kind "imap") or an EWS endpoint (kind "ews",
// which uses name, url, auth, user, password, impersonation, attachment_sizes_exact, ca_file,
// max_connections, timeout_seconds and the mailboxes).
struct CliSource {
  std::string name;
  std::string kind = "imap";
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string tls = "none";  // implicit | starttls | none
  std::string ca_file;       // for implicit / starttls
  std::string user;          // the admin
  std::string password;      // passed in the environment, never written
  std::string login_as = "master";
  int max_connections = 1;
  int timeout_seconds = 20;
  std::vector<std::string> mailboxes;  // or:
  std::string mailboxes_file;          // agents.csv
  // kind = "ews" only.
  std::string url;  // https://127.0.0.1:<port>/EWS/Exchange.asmx
  std::string auth = "basic";
  bool impersonation = true;
  bool attachment_sizes_exact = false;
};

// Dovecot's master user (LOGIN "<mailbox>*<master>") crawling `mailboxes` over two connections,
// named "dovecot". `tls` "none" uses the plaintext port; "implicit" the implicit-TLS port,
// trusting the server's CA ("starttls" the plaintext port with that CA).
inline CliSource dovecot_source(const DovecotServer& server, const std::vector<std::string>& mailboxes,
                                const std::string& tls = "none") {
  CliSource source;
  source.name = "dovecot";
  source.port = tls == "implicit" ? server.imaps_port() : server.imap_port();
  source.tls = tls;
  if (tls != "none") source.ca_file = server.ca_path();
  source.user = server.master_user();
  source.password = server.master_password();
  source.login_as = "master";
  source.max_connections = 2;
  source.mailboxes = mailboxes;
  return source;
}

// Cyrus's admin, with each mailbox as SASL PLAIN authorization identity after STARTTLS (trusting
// the server's CA), crawling `mailboxes` over two connections, named "cyrus".
inline CliSource cyrus_source(const CyrusServer& server, const std::vector<std::string>& mailboxes) {
  CliSource source;
  source.name = "cyrus";
  source.port = server.imap_port();
  source.tls = "starttls";
  source.ca_file = server.ca_path();
  source.user = server.admin_user();
  source.password = server.admin_password();
  source.login_as = "authzid";
  source.max_connections = 2;
  source.mailboxes = mailboxes;
  return source;
}

// The EWS test server (tests/ews_server) at `url` through a service account with impersonation,
// two connections, named "exchange", no mailboxes yet. The test server reports decoded attachment
// sizes, so they are taken as exact.
inline CliSource ews_source(const std::string& url, const std::string& service_account, const std::string& password) {
  CliSource source;
  source.name = "exchange";
  source.kind = "ews";
  source.url = url;
  source.auth = "basic";
  source.user = service_account;
  source.password = password;
  source.impersonation = true;
  source.attachment_sizes_exact = true;
  source.max_connections = 2;
  return source;
}

// `postgresql://user:password@host:port/db` without the password.
inline std::string url_without_password(const std::string& url) {
  return std::regex_replace(url, std::regex("^(postgres(?:ql)?://[^:/@]+):[^@]*@"), "$1@");
}

inline std::string toml_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

class MailpruneCli {
 public:
  explicit MailpruneCli(const std::vector<CliSource>& sources)
      : dir_("cli-crawl"), url_(PostgresServer::shared().create_database()) {
    env_.push_back("MAILPRUNE_TEST_DB_PASSWORD=" + PostgresServer::shared().password());
    std::string toml = "data_dir = " + toml_string(dir_ / "data") + "\n\n[log]\nformat = \"text\"\n\n[database]\n" +
                       "url = " + toml_string(url_without_password(url_)) + "\n" +
                       "password_env = \"MAILPRUNE_TEST_DB_PASSWORD\"\n";
    int index = 0;
    for (const auto& source : sources) {
      const std::string password_env = "MAILPRUNE_TEST_SOURCE_PASSWORD_" + std::to_string(index++);
      env_.push_back(password_env + "=" + source.password);
      toml += "\n[[source]]\nname = " + toml_string(source.name) + "\nkind = " + toml_string(source.kind) + "\n";
      if (source.kind == "ews") {
        toml += "url = " + toml_string(source.url) + "\nauth = " + toml_string(source.auth) +
                "\nimpersonation = " + (source.impersonation ? "true" : "false") +
                "\nattachment_sizes_exact = " + (source.attachment_sizes_exact ? "true" : "false") + "\n";
      } else {
        toml += "host = " + toml_string(source.host) + "\nport = " + std::to_string(source.port) +
                "\ntls = " + toml_string(source.tls) + "\nlogin_as = " + toml_string(source.login_as) + "\n";
      }
      if (!source.ca_file.empty()) toml += "ca_file = " + toml_string(source.ca_file) + "\n";
      toml += "user = " + toml_string(source.user) + "\npassword_env = " + toml_string(password_env) +
              "\nmax_connections = " + std::to_string(source.max_connections) +
              "\ntimeout_seconds = " + std::to_string(source.timeout_seconds) + "\n";
      if (!source.mailboxes.empty()) {
        toml += "mailboxes = [";
        for (std::size_t i = 0; i < source.mailboxes.size(); ++i) {
          toml += (i ? ", " : "") + toml_string(source.mailboxes[i]);
        }
        toml += "]\n";
      }
      if (!source.mailboxes_file.empty()) toml += "mailboxes_file = " + toml_string(source.mailboxes_file) + "\n";
    }
    config_path_ = dir_ / "mailprune.toml";
    write_file(config_path_, toml, 0600);
  }

  // `mailprune --config <file> ARGS...`: exit code and output (stdout and stderr together).
  platform::RunResult run(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {MAILPRUNE_BINARY, "--config", config_path_};
    argv.insert(argv.end(), args.begin(), args.end());
    return platform::run(argv, std::nullopt, env_);
  }

  platform::RunResult crawl(std::vector<std::string> args = {}) const {
    args.insert(args.begin(), "crawl");
    return run(args);
  }

  // `report summary --format json`, parsed; a failed run or unparsable output fails the test.
  nlohmann::json summary() const {
    platform::RunResult result = run({"--log-level", "error", "report", "summary", "--format", "json"});
    EXPECT_EQ(result.exit_code, 0) << result.output;
    const auto begin = result.output.find('{');
    const auto end = result.output.rfind('}');
    if (begin == std::string::npos || end == std::string::npos) {
      ADD_FAILURE() << "report summary printed no JSON: " << result.output;
      return nlohmann::json::object();
    }
    return nlohmann::json::parse(result.output.substr(begin, end - begin + 1));
  }

  // `report duplicates --format json --top 0` (every group), parsed; a failed run fails the test.
  nlohmann::json duplicates() const {
    platform::RunResult result =
        run({"--log-level", "error", "report", "duplicates", "--format", "json", "--top", "0"});
    EXPECT_EQ(result.exit_code, 0) << result.output;
    const auto begin = result.output.find('[');
    const auto end = result.output.rfind(']');
    if (begin == std::string::npos || end == std::string::npos) {
      ADD_FAILURE() << "report duplicates printed no JSON: " << result.output;
      return nlohmann::json::array();
    }
    return nlohmann::json::parse(result.output.substr(begin, end - begin + 1));
  }

  std::int64_t scalar(const std::string& sql) const {
    pqxx::connection connection(url_);
    pqxx::read_transaction tx(connection);
    return tx.exec1(sql)[0].as<std::int64_t>();
  }
  std::vector<std::string> strings(const std::string& sql) const {
    pqxx::connection connection(url_);
    pqxx::read_transaction tx(connection);
    std::vector<std::string> out;
    for (const auto& row : tx.exec(sql)) out.push_back(row[0].is_null() ? "" : row[0].as<std::string>());
    return out;
  }

  const std::string& url() const { return url_; }
  const std::string& config_path() const { return config_path_; }

 private:
  TempDir dir_;
  std::string url_;
  std::string config_path_;
  std::vector<std::string> env_;
};

// The summary fields every crawl test compares with inventory_truth.
inline const std::vector<std::string>& summary_fields() {
  static const std::vector<std::string> fields = {
      "mailboxes",        "folders",          "messages",         "message_bytes",
      "attachments",      "attachment_bytes", "duplicate_groups", "duplicate_attachments",
      "reclaimable_bytes"};
  return fields;
}

}  // namespace mailprune::test
