// `mailprune admin ...` as operators run it, against a harness PostgreSQL: passwords from a file,
// standard input, the environment and a terminal (a pseudo-terminal here, checking nothing is
// echoed), never from argv; tokens printed once and stored hashed; every change in the audit log.
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "harness/postgres_server.hpp"
#include "harness/temp_dir.hpp"
#include "platform/process.hpp"

namespace mailprune {
namespace {

constexpr const char* kDbPasswordEnv = "MAILPRUNE_TEST_ADMIN_DB_PASSWORD";

class AdminCli : public ::testing::Test {
 protected:
  AdminCli() : dir_("admin-cli") {
    ::unsetenv("MAILPRUNE_ADMIN_PASSWORD");
    auto& postgres = test::PostgresServer::shared();
    std::string url = postgres.create_database();
    std::string database = url.substr(url.rfind('/') + 1);
    config_ = dir_ / "mailprune.toml";
    std::ofstream(config_) << "data_dir = \"" << (dir_ / "data") << "\"\n[database]\nurl = \"postgresql://"
                           << postgres.superuser() << "@127.0.0.1:" << postgres.port() << "/" << database
                           << "\"\npassword_env = \"" << kDbPasswordEnv << "\"\n";
    db_url_ = url;
  }

  std::vector<std::string> env(std::vector<std::string> extra = {}) const {
    extra.push_back(std::string(kDbPasswordEnv) + "=" + test::PostgresServer::shared().password());
    return extra;
  }

  platform::RunResult admin(const std::vector<std::string>& args, const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> argv{MAILPRUNE_BINARY, "--config", config_, "--log-format", "text", "admin"};
    argv.insert(argv.end(), args.begin(), args.end());
    return platform::run(argv, std::nullopt, env(extra_env));
  }

  // Standard output alone (standard error dropped), through a shell; `input` is piped to stdin.
  platform::RunResult admin_stdout(const std::vector<std::string>& args, const std::string& input = "") {
    std::vector<std::string> argv{"/bin/sh",        "-c",       "printf '%s' \"$MP_INPUT\" | \"$0\" \"$@\" 2>/dev/null",
                                  MAILPRUNE_BINARY, "--config", config_,
                                  "--log-format",   "text",     "admin"};
    argv.insert(argv.end(), args.begin(), args.end());
    return platform::run(argv, std::nullopt, env({"MP_INPUT=" + input}));
  }

  std::string write(const std::string& name, const std::string& content) {
    std::string path = dir_ / name;
    std::ofstream(path) << content;
    return path;
  }

  std::string sql(const std::string& query) {
    return test::PostgresServer::shared().psql(query, db_url_.substr(db_url_.rfind('/') + 1));
  }

  test::TempDir dir_;
  std::string config_;
  std::string db_url_;
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(AdminCli, AddFromFileAndEnvironmentListAndRefusals) {
  auto added = admin({"add", "Alice", "--role", "admin", "--password-file", write("pw", "alice's password\n")});
  ASSERT_EQ(added.exit_code, 0) << added.output;
  EXPECT_TRUE(contains(added.output, "admin account alice (admin) created")) << added.output;
  auto bob = admin({"add", "bob", "--role", "viewer"}, {"MAILPRUNE_ADMIN_PASSWORD=bob's long password"});
  ASSERT_EQ(bob.exit_code, 0) << bob.output;

  auto list = admin_stdout({"list", "--format", "json"});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  auto accounts = nlohmann::json::parse(list.output);
  ASSERT_EQ(accounts.size(), 2u);
  EXPECT_EQ(accounts[0]["login"], "alice");
  EXPECT_EQ(accounts[0]["role"], "admin");
  EXPECT_EQ(accounts[1]["login"], "bob");
  EXPECT_EQ(accounts[1]["role"], "viewer");
  EXPECT_EQ(accounts[1]["disabled"], false);
  // Argon2id at libsodium's interactive cost; the password is nowhere.
  EXPECT_EQ(sql("SELECT count(*) FROM admin_account WHERE password_hash LIKE '$argon2id$v=19$m=65536,t=2,p=1$%'"),
            "2\n");
  EXPECT_EQ(sql("SELECT count(*) FROM admin_account WHERE password_hash LIKE '%password%'"), "0\n");

  auto again = admin({"add", "alice", "--role", "viewer", "--password-file", write("pw2", "another password\n")});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_TRUE(contains(again.output, "already exists")) << again.output;
  auto short_one = admin({"add", "carol", "--role", "viewer"}, {"MAILPRUNE_ADMIN_PASSWORD=short"});
  EXPECT_EQ(short_one.exit_code, 2);
  EXPECT_TRUE(contains(short_one.output, "at least 12 characters")) << short_one.output;
  EXPECT_FALSE(contains(short_one.output, "short\n"));
  auto no_terminal = admin({"add", "carol", "--role", "viewer"});  // stdin is /dev/null
  EXPECT_EQ(no_terminal.exit_code, 2);
  EXPECT_TRUE(contains(no_terminal.output, "--password-file")) << no_terminal.output;
  auto bad_role = admin({"add", "carol", "--role", "root"}, {"MAILPRUNE_ADMIN_PASSWORD=long enough pass"});
  EXPECT_EQ(bad_role.exit_code, 2);
  auto bad_login = admin({"add", "carol dupont", "--role", "viewer"}, {"MAILPRUNE_ADMIN_PASSWORD=long enough pass"});
  EXPECT_EQ(bad_login.exit_code, 2);
  auto no_file = admin({"add", "carol", "--role", "viewer", "--password-file", dir_ / "missing"});
  EXPECT_EQ(no_file.exit_code, 2);
  // There is no option that takes the password itself.
  EXPECT_EQ(admin({"add", "carol", "--role", "viewer", "--password", "long enough pass"}).exit_code, 2);
  EXPECT_EQ(sql("SELECT count(*) FROM admin_account"), "2\n");
}

TEST_F(AdminCli, PasswdFromStandardInputRemoveDisableEnable) {
  ASSERT_EQ(admin({"add", "alice", "--role", "admin"}, {"MAILPRUNE_ADMIN_PASSWORD=alice's password"}).exit_code, 0);
  std::string before = sql("SELECT password_hash FROM admin_account");
  auto passwd = admin_stdout({"passwd", "alice", "--password-file", "-"}, "a new password for alice\n");
  ASSERT_EQ(passwd.exit_code, 0) << passwd.output;
  EXPECT_NE(sql("SELECT password_hash FROM admin_account"), before);

  EXPECT_EQ(admin({"disable", "alice"}).exit_code, 0);
  EXPECT_EQ(sql("SELECT disabled_at IS NOT NULL FROM admin_account"), "t\n");
  auto twice = admin({"disable", "alice"});
  EXPECT_EQ(twice.exit_code, 0);
  EXPECT_TRUE(contains(twice.output, "already disabled")) << twice.output;
  EXPECT_EQ(admin({"enable", "alice"}).exit_code, 0);
  EXPECT_EQ(sql("SELECT disabled_at IS NULL FROM admin_account"), "t\n");

  EXPECT_EQ(admin({"passwd", "nobody"}, {"MAILPRUNE_ADMIN_PASSWORD=long enough pass"}).exit_code, 2);
  EXPECT_EQ(admin({"remove", "nobody"}).exit_code, 2);
  EXPECT_EQ(admin({"remove", "alice"}).exit_code, 0);
  EXPECT_EQ(sql("SELECT count(*) FROM admin_account"), "0\n");
}

TEST_F(AdminCli, TokensArePrintedOnceAndStoredHashed) {
  ASSERT_EQ(admin({"add", "alice", "--role", "admin"}, {"MAILPRUNE_ADMIN_PASSWORD=alice's password"}).exit_code, 0);
  auto created = admin_stdout({"token", "create", "alice", "--name", "nightly report", "--expires-days", "30"});
  ASSERT_EQ(created.exit_code, 0) << created.output;
  ASSERT_EQ(created.output.size(), 48u) << created.output;  // "mpt_" + 43 + "\n": nothing else on stdout
  std::string token = created.output.substr(0, 47);
  EXPECT_EQ(token.rfind("mpt_", 0), 0u);
  EXPECT_EQ(sql("SELECT count(*) FROM api_token WHERE token_sha256 = sha256(convert_to('" + token + "', 'UTF8'))"),
            "1\n");
  EXPECT_EQ(sql("SELECT role || ' ' || name || ' ' || (expires_at - created_at) FROM api_token"),
            "admin nightly report 30 days\n");

  auto viewer = admin({"token", "create", "alice", "--name", "dashboard", "--role", "viewer"});
  ASSERT_EQ(viewer.exit_code, 0) << viewer.output;
  EXPECT_TRUE(contains(viewer.output, "it is not shown again")) << viewer.output;

  auto list = admin_stdout({"token", "list", "--format", "json"});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  auto tokens = nlohmann::json::parse(list.output);
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0]["state"], "active");
  EXPECT_EQ(tokens[1]["role"], "viewer");
  EXPECT_FALSE(contains(list.output, token)) << "a token is never shown again";

  std::string id = tokens[0]["id"].dump();
  EXPECT_EQ(admin({"token", "revoke", id}).exit_code, 0);
  auto revoked = nlohmann::json::parse(admin_stdout({"token", "list", "alice", "--format", "json"}).output);
  EXPECT_EQ(revoked[0]["state"], "revoked");
  EXPECT_EQ(admin({"token", "revoke", "424242"}).exit_code, 2);
  EXPECT_EQ(admin({"token", "create", "nobody", "--name", "x"}).exit_code, 2);
}

TEST_F(AdminCli, EveryChangeIsInTheAuditLog) {
  ASSERT_EQ(
      admin({"add", "alice", "--role", "admin"}, {"MAILPRUNE_ADMIN_PASSWORD=alice's password", "USER=ops"}).exit_code,
      0);
  ASSERT_EQ(admin({"token", "create", "alice", "--name", "t"}).exit_code, 0);
  ASSERT_EQ(admin({"token", "revoke", "1"}).exit_code, 0);
  ASSERT_EQ(admin({"passwd", "alice"}, {"MAILPRUNE_ADMIN_PASSWORD=another password"}).exit_code, 0);
  ASSERT_EQ(admin({"remove", "alice"}).exit_code, 0);
  auto audit = admin_stdout({"audit", "--format", "json"});
  ASSERT_EQ(audit.exit_code, 0) << audit.output;
  auto entries = nlohmann::json::parse(audit.output);
  std::vector<std::string> actions;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) actions.push_back((*it)["action"]);
  EXPECT_EQ(actions, (std::vector<std::string>{"account.create", "token.create", "token.revoke", "account.password",
                                               "account.remove"}));
  EXPECT_EQ(entries.back()["actor_kind"], "cli");
  if (std::getenv("SUDO_USER") == nullptr) {
    EXPECT_EQ(entries.back()["actor"], "ops");
  }
  EXPECT_FALSE(contains(audit.output, "alice's password"));
  EXPECT_FALSE(contains(audit.output, "another password"));
  auto table = admin({"audit", "--limit", "2"});
  EXPECT_EQ(table.exit_code, 0) << table.output;
  EXPECT_TRUE(contains(table.output, "account.remove")) << table.output;
  EXPECT_FALSE(contains(table.output, "account.create")) << table.output;
}

// Reads what the pseudo-terminal shows until `until` appears (or the child ends / 60 s pass).
std::string read_until(int master, std::string& seen, const std::string& until) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!contains(seen, until) && std::chrono::steady_clock::now() < deadline) {
    pollfd fd{master, POLLIN, 0};
    if (::poll(&fd, 1, 200) <= 0) continue;
    char buffer[512];
    ssize_t n = ::read(master, buffer, sizeof buffer);
    if (n <= 0) break;  // EIO: the child closed the terminal
    seen.append(buffer, static_cast<std::size_t>(n));
  }
  return seen;
}

TEST_F(AdminCli, TerminalPasswordIsAskedTwiceWithoutEcho) {
  ::setenv(kDbPasswordEnv, test::PostgresServer::shared().password().c_str(), 1);
  auto run_on_terminal = [&](const std::string& first, const std::string& second) {
    int master = -1;
    pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
    if (pid == 0) {
      std::string binary = MAILPRUNE_BINARY;
      std::vector<std::string> args{binary,  "--config", config_, "--log-format", "text",
                                    "admin", "add",      "tina",  "--role",       "viewer"};
      std::vector<char*> argv;
      for (auto& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
    EXPECT_GT(pid, 0);
    std::string seen;
    read_until(master, seen, "New password: ");
    std::string typed = first + "\n";
    EXPECT_EQ(::write(master, typed.data(), typed.size()), static_cast<ssize_t>(typed.size()));
    read_until(master, seen, "Again: ");
    typed = second + "\n";
    EXPECT_EQ(::write(master, typed.data(), typed.size()), static_cast<ssize_t>(typed.size()));
    read_until(master, seen, "\x04never");  // to the end
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(master);
    return std::pair{WIFEXITED(status) ? WEXITSTATUS(status) : -1, seen};
  };

  auto [differ_code, differ_screen] = run_on_terminal("tina's password", "tina's passworD");
  EXPECT_EQ(differ_code, 2) << differ_screen;
  EXPECT_TRUE(contains(differ_screen, "the two passwords differ")) << differ_screen;

  auto [code, screen] = run_on_terminal("tina's password", "tina's password");
  EXPECT_EQ(code, 0) << screen;
  EXPECT_TRUE(contains(screen, "admin account tina (viewer) created")) << screen;
  EXPECT_FALSE(contains(screen, "tina's password")) << "echoed: " << screen;
  EXPECT_EQ(sql("SELECT count(*) FROM admin_account WHERE login = 'tina'"), "1\n");
  ::unsetenv(kDbPasswordEnv);
}

}  // namespace
}  // namespace mailprune
