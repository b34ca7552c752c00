// apply_scene.hpp: the `mailprune` binary as an operator runs it (crawl, plan, apply, undo, purge)
// against real Dovecot or Cyrus loaded with generated mail (tests/tools/mailgen.py), and the
// independent reader tests/tools/mailbox_check.py (imaplib + email, nothing of mailprune) that
// snapshots the mailboxes and compares them with what was meant to happen.
//
// The configuration is cli_crawl.hpp's MailpruneCli's, with [policy], [[rule]] and [[hold]] blocks
// appended. Header-only; the target defines MAILPRUNE_BINARY and depends on `mailprune`.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_crawl.hpp"
#include "harness/dovecot_server.hpp"
#include "harness/sample_mail.hpp"
#include "harness/temp_dir.hpp"
#include "platform/process.hpp"

namespace mailprune::test {

// How the checker logs in to each mailbox: Dovecot's master user (LOGIN "<mailbox>*admin"), or
// Cyrus's admin with the mailbox as SASL PLAIN authorization identity, after STARTTLS.
struct CheckLogin {
  std::uint16_t port = 0;
  std::string login_format;  // "{mailbox}*admin"
  std::string password;
  std::string authzid_admin;  // set: AUTHENTICATE PLAIN as this admin
  std::string ca_file;        // set: STARTTLS, verifying with this CA
};

// The checker on `server`'s plaintext port as its master user.
inline CheckLogin dovecot_check(const DovecotServer& server) {
  CheckLogin check;
  check.port = server.imap_port();
  check.login_format = "{mailbox}*" + server.master_user();
  check.password = server.master_password();
  return check;
}

class ApplyScene {
 public:
  ApplyScene(const CliSource& source, const std::string& policy_toml, CheckLogin check)
      : scratch_("apply-e2e"), check_(std::move(check)), source_password_(source.password) {
    cli_ = std::make_unique<MailpruneCli>(std::vector<CliSource>{source});
    std::ofstream out(cli_->config_path(), std::ios::app);
    out << "\n" << policy_toml << "\n";
    mailboxes_ = source.mailboxes;
  }

  MailpruneCli& cli() { return *cli_; }

  // `mailprune ARGS...` with extra environment (the fault hook).
  platform::RunResult run(std::vector<std::string> args, const std::vector<std::string>& env = {}) const {
    std::vector<std::string> argv = {MAILPRUNE_BINARY, "--config", cli_->config_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    // MailpruneCli's secrets go through these variables (cli_crawl.hpp: one source, index 0).
    std::vector<std::string> all = env;
    all.push_back("MAILPRUNE_TEST_DB_PASSWORD=" + PostgresServer::shared().password());
    all.push_back("MAILPRUNE_TEST_SOURCE_PASSWORD_0=" + source_password_);
    return platform::run(argv, std::nullopt, all);
  }

  std::string data_dir() const {
    const std::string& config = cli_->config_path();
    return config.substr(0, config.rfind('/')) + "/data";
  }
  std::string archive_dir() const { return data_dir() + "/archive"; }

  // mailbox_check.py snapshot of every mailbox; returns the file.
  std::string snapshot(const std::string& name) {
    const std::string out = scratch_ / (name + ".json");
    std::vector<std::string> argv = {"/usr/bin/python3",
                                     test_tools_dir() + "/mailbox_check.py",
                                     "snapshot",
                                     "--port",
                                     std::to_string(check_.port),
                                     "--login-format",
                                     check_.login_format,
                                     "--password-env",
                                     "MAILPRUNE_TEST_CHECK_PASSWORD",
                                     "--out",
                                     out};
    for (const auto& mailbox : mailboxes_) {
      argv.push_back("--mailbox");
      argv.push_back(mailbox);
    }
    if (!check_.authzid_admin.empty()) argv.insert(argv.end(), {"--authzid-admin", check_.authzid_admin});
    if (!check_.ca_file.empty()) argv.insert(argv.end(), {"--starttls", "--ca-file", check_.ca_file});
    auto result = platform::run(argv, std::nullopt, {"MAILPRUNE_TEST_CHECK_PASSWORD=" + check_.password});
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return out;
  }

  // mailbox_check.py compare; returns its report (ok, counts, problems).
  nlohmann::json compare(const std::string& before, const std::string& after, const nlohmann::json& expect,
                         bool with_archive = true) {
    const std::string expect_path = scratch_ / ("expect-" + std::to_string(++compares_) + ".json");
    const std::string report_path = scratch_ / ("report-" + std::to_string(compares_) + ".json");
    write_file(expect_path, expect.dump());
    std::vector<std::string> argv = {"/usr/bin/python3",
                                     test_tools_dir() + "/mailbox_check.py",
                                     "compare",
                                     "--before",
                                     before,
                                     "--after",
                                     after,
                                     "--expect",
                                     expect_path,
                                     "--report",
                                     report_path};
    if (with_archive) {
      argv.push_back("--archive");
      argv.push_back(archive_dir());
    }
    auto result = platform::run(argv);
    nlohmann::json report;
    try {
      report = nlohmann::json::parse(read_file(report_path));
    } catch (const std::exception& e) {
      ADD_FAILURE() << "mailbox_check.py compare wrote no report: " << result.output;
      return nlohmann::json::object();
    }
    EXPECT_EQ(result.exit_code, report.value("ok", false) ? 0 : 1) << result.output;
    return report;
  }

  // What the approved and selected proposals of `campaign` mean for the mailboxes, as
  // mailbox_check.py's expect.json: a message with an archive/delete proposal is moved (its detach
  // proposals superseded), other messages lose the sections of their detach proposals. Messages
  // whose Message-ID is in `exclude` are expected untouched.
  nlohmann::json expected(const std::string& campaign, const std::vector<std::string>& exclude = {}) {
    nlohmann::json expect = {{"detached", nlohmann::json::array()}, {"moved", nlohmann::json::array()}};
    pqxx::connection connection(cli_->url());
    pqxx::read_transaction tx(connection);
    for (const auto& row : tx.exec_params(
             "SELECT m.address, p.folder_name, p.internet_message_id, p.action, p.section, "
             " CASE p.action WHEN 'delete' THEN $2 "
             "  ELSE replace(coalesce(r->>'archive_folder', $3), '{year}', "
             "               to_char(p.message_date AT TIME ZONE 'UTC', 'YYYY')) END "
             "FROM proposal p JOIN campaign c ON c.id = p.campaign_id JOIN mailbox m ON m.id = p.mailbox_id "
             "LEFT JOIN LATERAL (SELECT x AS r FROM jsonb_array_elements(c.rules) x "
             "                   WHERE x->>'name' = p.rule_name) rr ON true "
             "WHERE c.name = $1 AND p.decision = 'approved' AND p.selected "
             " AND (p.action <> 'detach' OR NOT EXISTS (SELECT 1 FROM proposal q WHERE q.campaign_id = p.campaign_id "
             "      AND q.message_row_id = p.message_row_id AND q.action <> 'detach' AND q.decision = 'approved' "
             "      AND q.selected)) "
             "ORDER BY 1, 2, 3",
             campaign, quarantine_folder, archive_folder)) {
      const std::string mid = row[2].as<std::string>();
      if (std::find(exclude.begin(), exclude.end(), mid) != exclude.end()) continue;
      nlohmann::json entry = {
          {"mailbox", row[0].as<std::string>()}, {"folder", row[1].as<std::string>()}, {"message_id", mid}};
      if (row[3].as<std::string>() == "detach") {
        entry["section"] = row[4].as<std::string>();
        expect["detached"].push_back(entry);
      } else {
        entry["to"] = row[5].as<std::string>();
        expect["moved"].push_back(entry);
      }
    }
    return expect;
  }

  // What a purge meant for the mailboxes, as mailbox_check.py's expect.json: every message whose
  // action reached the step `purged` is gone from the quarantine folder.
  nlohmann::json expected_purge() const {
    nlohmann::json removed = {{"removed", nlohmann::json::array()}};
    for (const auto& row : cli_->strings("SELECT m.address || '|' || a.internet_message_id FROM action a "
                                         "JOIN mailbox m ON m.id = a.mailbox_id WHERE a.step = 'purged'")) {
      removed["removed"].push_back({{"mailbox", row.substr(0, row.find('|'))},
                                    {"folder", quarantine_folder},
                                    {"message_id", row.substr(row.find('|') + 1)}});
    }
    return removed;
  }

  std::string quarantine_folder = "mailprune/Quarantine";
  std::string archive_folder = "Archives/{year}";

 private:
  TempDir scratch_;
  CheckLogin check_;
  std::string source_password_;
  std::unique_ptr<MailpruneCli> cli_;
  std::vector<std::string> mailboxes_;
  int compares_ = 0;
};

}  // namespace mailprune::test
